"""Plan supervision's input files: the task catalogue, submissions and programme applications.
"""
