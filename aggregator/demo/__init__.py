"""The bundled demo site: invented dramas and reviews on MyDramaList-shaped pages, served on 127.0.0.1.

``content.json`` holds the data, ``mdl_pages`` renders it, ``server`` serves it (``DemoSite``).
"""
