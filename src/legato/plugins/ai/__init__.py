"""Kestra's AI plugins: `io.kestra.plugin.openai` (ChatCompletion, Responses, CreateImage) and `io.kestra.plugin.ai`
(chat completion, the AIAgent with KestraTask/KestraFlow tools and KV memory, RAG with a local vector store), over
the providers' HTTP APIs (OpenAI and every OpenAI-compatible server, Anthropic, Gemini, Mistral, Ollama...).
Registered through the `legato.plugins` entry point; every call goes through the SSRF guard."""
