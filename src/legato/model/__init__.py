"""legato.model"""
