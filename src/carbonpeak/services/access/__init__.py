"""Access: users, sign-in, sessions, tokens and the role scope. 中文：用户与权限。"""
