"""DIP-VAE for dpzoo: an example of a regularizer shipped as its own package.

Installing the distribution registers `dip` in the `dpzoo.regularizers` entry-point group; dpzoo
imports `dpzoo_dipvae.dip` only when a model uses it, so this package stays free of import work.
"""
