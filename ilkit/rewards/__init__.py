"""Learned rewards: weights-only reward artifacts, and how close they come to the hidden reward."""
