"""legato.storage"""
