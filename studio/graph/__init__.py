"""Qt-free studio core: graph model, layer registry, inference, compile, projects, commands."""
