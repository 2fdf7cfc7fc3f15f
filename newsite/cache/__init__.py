"""The caching toolkit of newsite: one module per technique of High Performance Django.

- includes.py: per-reader fragments, included by ESI at the edge or by AJAX without one.
"""
