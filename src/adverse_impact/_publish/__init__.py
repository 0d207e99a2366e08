"""Publication: the NYC Local Law 144 packet and checks of published audit summaries."""
