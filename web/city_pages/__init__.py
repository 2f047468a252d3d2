"""The city's pages: the frame (menu, brand), the home, and the pages each area adds."""
