"""Reports: the versioned JSON document and its renderings (JUnit, Markdown, HTML)."""
