"""Analysis on digits with briefly trained real models: PCA, probes, clusters, anomalies."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from models import OBJECTIVES, ModelConfig, build
from models.corruption import corrupt
from trainer import analysis
from trainer.analysis import compare, probes
from trainer.analysis.pretraining import pretraining_experiment, seeded
from trainer.data import as_float, load


@functools.lru_cache(maxsize=8)
def _trained(backbone="mlp", objective="ae", code_size=8, steps=300, batch=128, lr=3e-3):
    data = load("digits")
    config = ModelConfig(
        backbone=backbone,
        objective=objective,
        input_shape=tuple(data.shape),
        code_size=code_size,
        hidden=[16, 32] if backbone == "conv" else [64],
    )
    torch.manual_seed(0)
    model = build(config)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(data.train_x), (batch,), generator=g)
        x = as_float(data.train_x[idx] if batch < len(data.train_x) else data.train_x)
        x, target = model.training_pair(x, g)  # denoising: a corrupted x, the clean target
        opt.zero_grad()
        model(x, target).loss.backward()
        opt.step()
    return model.eval()


def test_pca_errors_fall_with_code_size_and_match_scikit_learn(digits):
    sizes, errors = compare.pca_error_curve(digits, [1, 2, 4, 8, 16, 32, 64])
    assert list(sizes) == [1, 2, 4, 8, 16, 32, 64]
    assert np.all(np.diff(errors) < 0)
    assert errors[-1] < 1e-12  # all 64 components reconstruct exactly
    train = as_float(digits.train_x).reshape(len(digits.train_x), -1).double().numpy()
    test = as_float(digits.test_x).reshape(len(digits.test_x), -1).double().numpy()
    for k, err in zip(sizes[:5], errors[:5]):
        pca = PCA(n_components=int(k)).fit(train)
        expected = np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2)
        assert err == pytest.approx(expected, rel=1e-6)
        assert analysis.pca_test_mse(digits, int(k)) == pytest.approx(expected, rel=1e-6)


def test_code_sizes_cover_small_sizes_then_grow():
    assert compare.code_sizes(64) == list(range(1, 65))
    sizes = compare.code_sizes(784)
    assert sizes[:64] == list(range(1, 65))
    assert sizes[-1] == compare.MAX_SWEEP and sorted(set(sizes)) == sizes


def test_linear_autoencoder_spans_pca_subspace_after_training(digits):
    torch.manual_seed(0)
    model = build(ModelConfig(backbone="linear", input_shape=tuple(digits.shape), code_size=3))
    before = compare.principal_angles(model.eval(), digits)
    # Full batch to near convergence; L-BFGS gets there in a couple of hundred iterations.
    opt = torch.optim.LBFGS(
        model.parameters(), max_iter=200, history_size=20, line_search_fn="strong_wolfe"
    )

    def closure():
        opt.zero_grad()
        loss = model(as_float(digits.train_x)).loss
        loss.backward()
        return loss

    opt.step(closure)
    after = compare.principal_angles(model.eval(), digits)
    assert after.shape == (3,)
    assert after.max() < 2.0 < 20.0 < before.max()
    assert analysis.test_mse(model, digits) == pytest.approx(
        analysis.pca_test_mse(digits, 3), rel=0.02
    )


def test_principal_angles_refuse_a_nonlinear_model(digits):
    with pytest.raises(ValueError, match="linear backbone"):
        compare.principal_angles(_trained(), digits)


def test_kmeans_and_probes_score_the_test_split_in_range(digits):
    model = _trained()
    codes = probes.encode_all(model, digits.test_x)
    ari = probes.kmeans_ari(model, digits)
    clusters = probes.kmeans_clusters(codes, len(digits.classes))
    assert ari == pytest.approx(adjusted_rand_score(digits.test_y.numpy(), clusters))
    assert 0 < ari <= 1
    scores = probes.cluster_scores(digits.test_y.numpy(), clusters)
    assert 0.1 < scores["purity"] <= 1
    chance = 1 / len(digits.classes)
    for acc in (
        probes.linear_probe_accuracy(model, digits),
        probes.pca_probe_accuracy(digits, model.code_size),
        probes.pixel_probe_accuracy(digits),
    ):
        assert 2 * chance < acc <= 1


def test_separation_is_higher_for_real_labels_than_shuffled(digits):
    points = compare.pca_map(digits)
    labels = digits.test_y.numpy()
    real = probes.separation(points, labels)
    shuffled = probes.separation(points, np.random.default_rng(0).permutation(labels))
    assert real["knn"] > 0.4 > shuffled["knn"]
    assert real["silhouette"] > shuffled["silhouette"]


def test_anomalous_examples_score_above_the_99th_percentile(digits):
    model = _trained("conv", "ae", 8, steps=400)
    errors = analysis.reconstruction_errors(model, digits.test_x)
    assert errors.shape == (len(digits.test_x),)
    assert errors.mean() == pytest.approx(analysis.test_mse(model, digits))
    threshold = analysis.anomaly_threshold(errors, 99)
    assert (errors > threshold).sum() <= math.ceil(0.01 * len(errors))
    g = torch.Generator().manual_seed(1)
    noisy = corrupt(as_float(digits.test_x[:4]), "gaussian:1.0", generator=g)
    random = torch.rand(4, *digits.shape, generator=g)
    sprites = as_float(load("shapes").test_x[:4])
    sprites = F.interpolate(sprites, size=digits.shape[1:], mode="area")
    for odd in (noisy, random, sprites):
        assert np.all(analysis.reconstruction_errors(model, odd) > threshold)


def test_psnr_known_values():
    clean = np.zeros((4, 8, 8))
    assert analysis.psnr(clean, clean) == math.inf
    assert analysis.psnr(clean, clean + 0.1) == pytest.approx(20.0)


GREY = [name for name, cls in OBJECTIVES.items() if 1 in cls.channels]  # every one but colourise


@pytest.mark.parametrize("objective", GREY)
def test_eval_report_has_the_keys(digits, objective):
    model = _trained("mlp", objective, 8, steps=300)
    report = analysis.eval_report(model, digits)
    keys = {"objective", "backbone", "code_size", "dataset", "test_mse", "pca_test_mse"}
    keys |= {"linear_probe_accuracy", "pca_probe_accuracy", "kmeans_ari", "anomaly_threshold_p99"}
    keys |= {"rate_distortion", "png_bytes_per_image", "png_psnr_db"}
    keys |= {"latent_roughness", "latent_holes"}
    extra = {"vae": {"test_neg_elbo"}, "denoising": {"noisy_psnr_db", "denoised_psnr_db"}}
    if objective not in extra:  # objectives added later say what they add (their hooks)
        extra[objective] = {"test_neg_elbo"} if model.elbo_terms else set()
        extra[objective] |= {"noisy_psnr_db", "denoised_psnr_db"} if model.corruption else set()
    assert set(report) == keys | extra[objective]
    assert (report["objective"], report["backbone"], report["code_size"]) == (objective, "mlp", 8)
    assert report["dataset"] == "digits"
    assert 0 < report["test_mse"] < 0.2 and 0 < report["pca_test_mse"] < 0.2
    if objective == "vae":
        assert report["test_neg_elbo"] > 0
        assert analysis.neg_elbo(model, digits) == report["test_neg_elbo"]  # seeded
    if objective == "denoising":
        assert report["denoised_psnr_db"] > report["noisy_psnr_db"]


def test_pretraining_experiment_is_seeded_and_in_range(digits):
    model = _trained("mlp", "ae", 8, steps=300)
    first = pretraining_experiment(model, digits, labels_per_class=5, steps=40)
    again = pretraining_experiment(model, digits, labels_per_class=5, steps=40)
    assert first == again
    assert first["labelled"] == 5 * len(digits.classes)
    for key in ("pretrained", "scratch"):
        assert 0 <= first[key] <= 1
    assert first["pretrained"] > 1 / len(digits.classes)


def _draws_after(seed: int, work) -> torch.Tensor:
    torch.manual_seed(seed)
    work()
    return torch.rand(4)


@pytest.mark.parametrize("backbone", ["linear", "mlp", "conv"])
def test_seeded_builds_repeat_and_leave_the_global_rng_alone(backbone):
    config = ModelConfig(backbone=backbone, code_size=3, hidden=[8])

    def states(seed):
        model = seeded(lambda: build(config), torch.Generator().manual_seed(seed))
        return [v.clone() for v in model.state_dict().values()]

    first, again, other = states(0), states(0), states(1)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not any(torch.equal(a, b) for a, b in zip(first, other, strict=True))
    # a run training in another thread shares the global RNG: building must not draw from it
    assert torch.equal(_draws_after(5, lambda: states(0)), _draws_after(5, lambda: None))


def test_neg_elbo_leaves_the_global_rng_alone(digits):
    model = _trained("mlp", "vae", 8, steps=50)
    first = analysis.neg_elbo(model, digits, seed=3)
    assert analysis.neg_elbo(model, digits, seed=3) == first != analysis.neg_elbo(model, digits)
    assert torch.equal(
        _draws_after(5, lambda: analysis.neg_elbo(model, digits)), _draws_after(5, lambda: None)
    )
