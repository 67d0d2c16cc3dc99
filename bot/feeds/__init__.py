"""Live sources: RSS/Atom feeds and single article URLs, fetched safely and polled."""
