"""The operations of circularity: one transaction each, every rule enforced here.

A page, the command line and a future JSON API call these functions and nothing else
changes the database.
"""
