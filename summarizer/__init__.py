"""Summarizers: query-focused multi-document and single-article, extractive by default."""
