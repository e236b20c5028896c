"""The monthly report: the figures it shows (model), and their rendering to HTML (render)."""
