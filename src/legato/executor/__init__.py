"""legato.executor"""
