"""ui.viewmodels"""
