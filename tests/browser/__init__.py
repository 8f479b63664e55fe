"""Browser tests of the web pages in headless Chromium."""
