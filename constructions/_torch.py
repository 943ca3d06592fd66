"""Export of a :class:`constructions._network.Network` to a float64 ``torch.nn.Module``."""

from __future__ import annotations

import numpy as np

from polyapprox.internal import PolyapproxError


def to_torch_module(network):
    try:
        import torch
    except ImportError:
        raise PolyapproxError("to_torch() needs PyTorch: pip install 'polyapprox[torch]'") from None

    class _Block(torch.nn.Module):
        def __init__(self, block, network):
            super().__init__()
            self.kind, self.block = block.kind, block
            for key, value in block.weights.items():
                self.register_buffer(key.replace(".", "_"), torch.tensor(np.asarray(value), dtype=torch.float64))
            self.layers = [k.split(".")[1] for k in block.weights if k.startswith("mlp.layer") and k.endswith(".W")]
            self.attention = network.attention
            self.details = network.details

        def _w(self, key):
            return getattr(self, key.replace(".", "_"))

        def forward(self, Z):
            if self.kind == "embedding" or self.kind == "readout":
                return Z @ self._w("W")
            if self.kind.startswith("feed-forward (exact"):
                # exact token maps are numpy callables (phi, psi of the Sumformer): not differentiable
                return torch.from_numpy(self.block.apply(Z.detach().numpy()))
            if self.kind.startswith("feed-forward (ReLU"):
                h = Z @ self._w("in")
                for j, layer in enumerate(self.layers):
                    h = h @ self._w(f"mlp.{layer}.W") + self._w(f"mlp.{layer}.b")[0]
                    if j < len(self.layers) - 1:
                        h = torch.relu(h)
                return Z + h @ self._w("out")
            return Z + self._attention(Z)

        def _attention(self, Z):
            Q, K, V = Z @ self._w("W_Q"), Z @ self._w("W_K"), Z @ self._w("W_V")
            d_k = Q.shape[-1]
            if self.attention == "softmax":
                weights = torch.softmax(Q @ K.transpose(1, 2) / d_k**0.5, dim=-1)
                return weights @ V @ self._w("W_O")
            if self.attention == "linformer":
                K, V = self._w("E") @ K, self._w("F") @ V
                weights = torch.softmax(Q @ K.transpose(1, 2) / d_k**0.5, dim=-1)
                return weights @ V @ self._w("W_O")
            omega, kind = self._w("omega"), self.details["features"]
            scale = d_k ** -0.25

            def features(U):
                proj, norms = U @ omega.T, (U**2).sum(-1, keepdim=True) / 2
                if kind == "positive":
                    return torch.exp(proj - norms) / omega.shape[0] ** 0.5
                return torch.exp(norms) / omega.shape[0] ** 0.5 * torch.cat([torch.sin(proj), torch.cos(proj)], -1)

            phi_q, phi_k = features(Q * scale), features(K * scale)
            numerator = phi_q @ (phi_k.transpose(1, 2) @ V)
            denominator = phi_q @ phi_k.sum(dim=1).unsqueeze(-1)
            return numerator / denominator @ self._w("W_O")

    class TorchNetwork(torch.nn.Module):
        """float64 torch version of a constructed network; input (b, n, d) or (n, d)."""

        def __init__(self, network):
            super().__init__()
            self.n, self.d = network.n, network.d
            self.stages = torch.nn.ModuleList(_Block(block, network) for block in network.blocks)

        def forward(self, X):
            single = X.dim() == 2
            Z = X.unsqueeze(0) if single else X
            if Z.shape[1:] != (self.n, self.d):
                raise PolyapproxError(f"input must be (b, {self.n}, {self.d}); got {tuple(X.shape)}")
            for stage in self.stages:
                Z = stage(Z)
            return Z[0] if single else Z

    return TorchNetwork(network)
