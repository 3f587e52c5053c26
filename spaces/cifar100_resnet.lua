-- The CIFAR-100 study of the original Keras/hyperopt experiments: a
-- residual CNN with fine (100) and coarse (20) heads, 19 hyperparameters
-- with the original's ranges. The network each point builds is described
-- in DESIGN.md ("The seed network"); trainers/resnet trains it.
--
-- The data: train.bin and test.bin of the official CIFAR-100 binary
-- distribution, in data/cifar-100-binary (or $PARZEN_CIFAR100_DIR, or
-- --set trainer.data_dir=DIR). The last 5,000 training images are held
-- out for validation: the study picks models on them, never on test.bin.
local data = os.getenv("PARZEN_CIFAR100_DIR") or "data/cifar-100-binary"
return {
  name = "cifar100-resnet",
  space = {
    lr_rate_mult          = hp.loguniform("lr_rate_mult", -0.5, 0.5),
    l2_weight_reg_mult    = hp.loguniform("l2_weight_reg_mult", -1.3, 1.3),
    batch_size            = hp.quniform("batch_size", 100, 450, 5),
    optimizer             = hp.choice("optimizer", {"Adam", "Nadam", "RMSprop"}),
    coarse_labels_weight  = hp.uniform("coarse_labels_weight", 0.1, 0.7),
    conv_dropout_proba    = hp.uniform("conv_dropout_proba", 0.0, 0.35),
    fc_dropout_proba      = hp.uniform("fc_dropout_proba", 0.0, 0.6),
    use_BN                = hp.choice("use_BN", {false, true}),
    first_conv            = hp.choice("first_conv",
                              {hp.none, hp.choice("first_conv_size", {3, 4})}),
    residual              = hp.choice("residual",
                              {hp.none, hp.quniform("residual_units", 1 - 0.499, 4 + 0.499, 1)}),
    conv_hiddn_units_mult = hp.loguniform("conv_hiddn_units_mult", -0.6, 0.6),
    nb_conv_pool_layers   = hp.choice("nb_conv_pool_layers", {2, 3}),
    conv_pool_res_start_idx = hp.quniform("conv_pool_res_start_idx", 0, 2, 1),
    pooling_type          = hp.choice("pooling_type", {"max", "avg", "all_conv", "inception"}),
    conv_kernel_size      = hp.quniform("conv_kernel_size", 2, 4, 1),
    res_conv_kernel_size  = hp.quniform("res_conv_kernel_size", 2, 4, 1),
    fc_units_1_mult       = hp.loguniform("fc_units_1_mult", -0.6, 0.6),
    one_more_fc           = hp.choice("one_more_fc",
                              {hp.none, hp.loguniform("fc_units_2_mult", -0.6, 0.6)}),
    activation            = hp.choice("activation", {"relu", "elu"}),
  },
  objective = "resnet",
  trainer   = { dataset = "cifar100", data_dir = data, epochs = 20, validation = 5000 },
  algo      = "tpe",
  max_evals = 100,
}
