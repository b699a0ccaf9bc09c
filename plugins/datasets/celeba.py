"""CelebA (Liu et al., 2015): aligned celebrity faces, centre-cropped and resized to 64×64, through
torchvision's `CelebA`, with the 40 binary attributes as labels.

The authors trained on faces they had cropped beforehand (`CelebA_Cropped_Train`, not in their code);
dpzoo uses the common 148×148 centre crop of the 178×218 aligned images, then resizes to 64×64.
torchvision keeps the files under ROOT/celeba; its download goes through Google Drive, which often
refuses large files, so fetching them by hand is the reliable way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch.utils.data import Dataset as TorchDataset

from dpzoo import constants
from dpzoo.dataset import Dataset, Split
from dpzoo.errors import DataError

SOURCE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
FILES = (
    "img_align_celeba/ (unzipped img_align_celeba.zip), list_eval_partition.txt, list_attr_celeba.txt, "
    "identity_CelebA.txt, list_bbox_celeba.txt, list_landmarks_align_celeba.txt"
)


@dataclass(frozen=True)
class CelebAConfig:
    root: str | None = None  # torchvision root (holds celeba/); default $DPZOO_DATA
    download: bool = False  # let torchvision download from Google Drive (needs the gdown package)
    crop: int = 148  # centre crop of the 178×218 aligned faces before resizing to 64×64

    def __post_init__(self) -> None:
        if not 64 <= self.crop <= 178:
            raise ValueError("crop must lie between 64 and 178 pixels")


class CelebA(Dataset):
    Config = CelebAConfig
    data_shape = (3, 64, 64)
    default_architecture = "conv64"
    default_likelihood = {"name": "bernoulli"}

    @property
    def root(self) -> Path:
        return Path(self.config.root) if self.config.root else constants.data_root()

    def load(self, split: Split) -> TorchDataset:
        from torchvision import transforms
        from torchvision.datasets import CelebA as TorchvisionCelebA

        transform = transforms.Compose(
            [transforms.CenterCrop(self.config.crop), transforms.Resize(64), transforms.ToTensor()]
        )
        try:
            return TorchvisionCelebA(
                str(self.root), split=split, target_type="attr", transform=transform, download=self.config.download
            )
        except (RuntimeError, OSError, ImportError) as exc:
            raise DataError(
                f"CelebA files not found or incomplete in {self.root / 'celeba'} ({exc}); put {FILES} there "
                f"(from {SOURCE}), or pass --set dataset.download=true where Google Drive is reachable"
            ) from None

    def describe(self, split: Split) -> str:
        n = "162,770" if split == "train" else "19,962"
        return f"CelebA {split} split: {n} aligned faces, {self.config.crop}² centre crop resized to 64×64, in {self.root}"
