"""Legato's core runnable tasks, one module per Kestra domain; each registers its types when imported
(legato.plugins.loader imports one when a flow names one of its types)."""
