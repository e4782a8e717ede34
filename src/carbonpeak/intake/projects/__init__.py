"""The project gate's input files: projects, their designed energy, and green certificates.
"""
