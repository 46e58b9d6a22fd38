"""legato.engine"""
