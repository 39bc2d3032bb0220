"""The Qt half of training: `run.TrainingRun` (the run state and the child it follows), and the
views that follow it: `form.TrainingForm`, `controls.TrainingPanel`, `loss_plot.LossPanel`."""
