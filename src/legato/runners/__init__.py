"""legato.runners"""
