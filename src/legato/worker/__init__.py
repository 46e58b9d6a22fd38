"""legato.worker"""
