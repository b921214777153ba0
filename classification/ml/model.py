"""The fused classifier: an image branch, a hashed n-gram branch, a sentence-embedding branch
and layout figures, concatenated into one linear head.

Inputs travel as a ``Batch`` of tensors built from ``features.PageFeatures``; see ``make_batch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from classification.ml import encoder, features


@dataclass
class ModelConfig:
    use_image: bool = True
    use_hash: bool = True
    use_embedding: bool = True
    use_layout: bool = True
    image_channels: tuple[int, ...] = (8, 16, 32, 64)
    hash_hidden: int = 64
    embedding_hidden: int = 128
    layout_hidden: int = 16
    dropout: float = 0.3
    branch_dropout: float = 0.15  # chance of zeroing a whole branch per sample while training

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["image_channels"] = list(self.image_channels)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ModelConfig:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        if "image_channels" in values:
            values["image_channels"] = tuple(values["image_channels"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class Batch:
    image: torch.Tensor | None = None  # float (n, 1, H, W) in [0, 1], 1 = ink
    hash_index: torch.Tensor | None = None  # int64 flat indices
    hash_offset: torch.Tensor | None = None  # int64 (n,)
    hash_value: torch.Tensor | None = None  # float32 flat
    embedding: torch.Tensor | None = None  # float (n, 384)
    layout: torch.Tensor | None = None  # float (n, LAYOUT_DIM)
    size: int = 0
    extra: dict[str, torch.Tensor] = field(default_factory=dict)


def make_batch(pages: Sequence[features.PageFeatures], config: ModelConfig) -> Batch:
    batch = Batch(size=len(pages))
    if config.use_image:
        stack = np.stack([p.image for p in pages]).astype(np.float32)
        # Ink is 1, paper 0: zero padding and zero-filled erasing then mean "blank paper".
        batch.image = (
            (1.0 - torch.from_numpy(stack) / 255.0)
            .unsqueeze(1)
            .contiguous(memory_format=torch.channels_last)
        )
    if config.use_hash:
        lengths = [len(p.hash_index) for p in pages]
        offsets = np.zeros(len(pages), dtype=np.int64)
        if pages:
            offsets[1:] = np.cumsum(lengths)[:-1]
        batch.hash_index = torch.from_numpy(
            np.concatenate([p.hash_index for p in pages]) if pages else np.zeros(0, np.int64)
        )
        batch.hash_value = torch.from_numpy(
            np.concatenate([p.hash_value for p in pages]) if pages else np.zeros(0, np.float32)
        )
        batch.hash_offset = torch.from_numpy(offsets)
    if config.use_embedding:
        batch.embedding = torch.from_numpy(
            np.stack(
                [
                    p.embedding if p.embedding is not None else np.zeros(encoder.DIM, np.float32)
                    for p in pages
                ]
            )
        )
    if config.use_layout:
        batch.layout = torch.from_numpy(np.stack([p.layout for p in pages]))
    return batch


def subset(batch: Batch, rows: torch.Tensor | np.ndarray) -> Batch:
    """The rows of a batch (for mini-batches over a dataset held as one batch)."""
    rows_t = torch.as_tensor(rows, dtype=torch.int64)
    out = Batch(size=len(rows_t))
    if batch.image is not None:
        out.image = batch.image[rows_t].contiguous(memory_format=torch.channels_last)
    if batch.embedding is not None:
        out.embedding = batch.embedding[rows_t]
    if batch.layout is not None:
        out.layout = batch.layout[rows_t]
    if batch.hash_index is not None:
        assert batch.hash_offset is not None and batch.hash_value is not None
        ends = torch.cat([batch.hash_offset[1:], torch.tensor([len(batch.hash_index)])])
        starts = batch.hash_offset[rows_t]
        stops = ends[rows_t]
        pieces = [torch.arange(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]
        flat = torch.cat(pieces) if pieces else torch.zeros(0, dtype=torch.int64)
        out.hash_index = batch.hash_index[flat]
        out.hash_value = batch.hash_value[flat]
        lengths = stops - starts
        offsets = torch.zeros(len(rows_t), dtype=torch.int64)
        if len(rows_t) > 1:
            offsets[1:] = torch.cumsum(lengths, 0)[:-1]
        out.hash_offset = offsets
    return out


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, groups=c_out, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class ImageBranch(nn.Module):
    """A small strided CNN: whole-page layout at low resolution, trained from scratch."""

    def __init__(self, channels: Sequence[int]) -> None:
        super().__init__()
        layers = []
        c_in = 1
        for c_out in channels:
            layers.append(_conv(c_in, c_out))
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.out_dim = c_in * 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.body(x)
        return torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)


class FusedClassifier(nn.Module):
    def __init__(self, n_classes: int, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        width = 0
        self.image: ImageBranch | None = None
        self.hash: nn.EmbeddingBag | None = None
        self.embedding: nn.Sequential | None = None
        self.layout: nn.Sequential | None = None
        if config.use_image:
            self.image = ImageBranch(config.image_channels)
            width += self.image.out_dim
        if config.use_hash:
            # Sparse gradients: a step touches only the rows of the n-grams in its batch.
            self.hash = nn.EmbeddingBag(
                features.HASH_DIM, config.hash_hidden, mode="sum", sparse=True
            )
            nn.init.normal_(self.hash.weight, std=0.05)
            self.hash_bias = nn.Parameter(torch.zeros(config.hash_hidden))
            width += config.hash_hidden
        if config.use_embedding:
            self.embedding = nn.Sequential(
                nn.Linear(encoder.DIM, config.embedding_hidden), nn.ReLU(inplace=True)
            )
            width += config.embedding_hidden
        if config.use_layout:
            self.layout = nn.Sequential(
                nn.Linear(features.LAYOUT_DIM, config.layout_hidden), nn.ReLU(inplace=True)
            )
            width += config.layout_hidden
        if width == 0:
            raise ValueError("the model needs at least one input branch")
        self.width = width
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(width, n_classes)

    def _branches(self, batch: Batch) -> list[torch.Tensor]:
        parts = []
        if self.image is not None:
            assert batch.image is not None
            parts.append(self.image(batch.image))
        if self.hash is not None:
            assert batch.hash_index is not None
            bag = self.hash(
                batch.hash_index, batch.hash_offset, per_sample_weights=batch.hash_value
            )
            parts.append(torch.relu(bag + self.hash_bias))
        if self.embedding is not None:
            assert batch.embedding is not None
            parts.append(self.embedding(batch.embedding))
        if self.layout is not None:
            assert batch.layout is not None
            parts.append(self.layout(batch.layout))
        return parts

    def embed(self, batch: Batch) -> torch.Tensor:
        """The fused representation before the head (used for diversity in the review order)."""
        parts = self._branches(batch)
        if self.training and self.config.branch_dropout > 0 and len(parts) > 1:
            keep = (torch.rand(batch.size, len(parts)) >= self.config.branch_dropout).float()
            # Never drop every branch of a sample.
            keep[keep.sum(1) == 0, 0] = 1.0
            parts = [p * keep[:, i : i + 1] for i, p in enumerate(parts)]
        return torch.cat(parts, dim=1)

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.head(self.dropout(self.embed(batch)))
