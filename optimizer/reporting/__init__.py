"""Reporting: formatters, terminal tables, inline-SVG charts and the self-contained HTML pages."""
