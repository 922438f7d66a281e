"""The bundled demo site: invented dramas and reviews on pages shaped like every kind of source, on 127.0.0.1.

Data (every word ours): ``content.json`` (MyDramaList), ``blogs.json`` (two WordPress blogs), ``reddit.json``,
``critics.json``, and ``dramas.json``, the catalogue of which drama each entry is about (ground truth).
Renderers: ``mdl_pages``; ``wp_model`` + ``wp_api`` (REST) + ``wp_site`` (theme pages); ``reddit_things`` +
``reddit_api``; ``critic_pages``. ``server`` serves them all from one ``DemoSite``.
"""
