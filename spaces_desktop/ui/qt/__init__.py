"""ui.qt"""
