"""Scores, age and alternatives: the questions a four-fifths table at one cut-off leaves open."""
