"""legato.expressions"""
