// The YAML language worker (monaco-yaml), bundled by Vite as its own worker chunk.
import "monaco-yaml/yaml.worker.js";
