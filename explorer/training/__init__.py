"""The Qt half of training: `run.TrainingRun` (the run state and the child it follows, through
`child_link`; `outcome` says how a run ended), and the views that follow it:
`form.TrainingForm`, `controls.TrainingPanel`, `loss_panel.LossPanel`."""
