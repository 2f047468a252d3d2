"""What every server-rendered page shares, at the node and (later) at the city: the base
template, the static assets the process serves itself, the translations and the render helper.
"""
