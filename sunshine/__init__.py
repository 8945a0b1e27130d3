"""sunshine"""
