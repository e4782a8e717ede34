"""Answers of the city routes (``routes/city``): the district comparison and the city
totals."""
