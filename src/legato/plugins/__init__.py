"""legato.plugins"""
