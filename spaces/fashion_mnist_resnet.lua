-- The seed network family on Fashion-MNIST (28x28x1, 10 classes, one
-- head), from the files of Debian's dataset-fashion-mnist. The same 19
-- parameters as spaces/cifar100_resnet.lua with ranges narrowed to
-- networks that train an epoch in seconds on two cores: this is the
-- README's quick start (12 trials of 1 epoch on 12,000 images).
-- coarse_labels_weight is absent: there is no coarse head.
local data = os.getenv("PARZEN_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"
return {
  name = "fashion-mnist-resnet",
  space = {
    lr_rate_mult          = hp.loguniform("lr_rate_mult", math.log(0.5), math.log(3)),
    l2_weight_reg_mult    = hp.loguniform("l2_weight_reg_mult", -3, 0),
    batch_size            = hp.quniform("batch_size", 64, 256, 32),
    optimizer             = hp.choice("optimizer", {"Adam", "Nadam", "RMSprop"}),
    conv_dropout_proba    = hp.uniform("conv_dropout_proba", 0.0, 0.3),
    fc_dropout_proba      = hp.uniform("fc_dropout_proba", 0.0, 0.5),
    use_BN                = hp.choice("use_BN", {false, true}),
    first_conv            = hp.choice("first_conv",
                              {hp.none, hp.choice("first_conv_size", {3, 4})}),
    residual              = hp.choice("residual",
                              {hp.none, hp.quniform("residual_units", 1 - 0.499, 2 + 0.499, 1)}),
    conv_hiddn_units_mult = hp.loguniform("conv_hiddn_units_mult", math.log(0.3), math.log(0.8)),
    nb_conv_pool_layers   = 2,
    conv_pool_res_start_idx = hp.quniform("conv_pool_res_start_idx", 0, 1, 1),
    pooling_type          = hp.choice("pooling_type", {"max", "avg", "all_conv", "inception"}),
    conv_kernel_size      = hp.quniform("conv_kernel_size", 2, 4, 1),
    res_conv_kernel_size  = hp.quniform("res_conv_kernel_size", 2, 3, 1),
    fc_units_1_mult       = hp.loguniform("fc_units_1_mult", math.log(0.128), math.log(0.512)),
    one_more_fc           = hp.choice("one_more_fc",
                              {hp.none, hp.loguniform("fc_units_2_mult", math.log(0.17), math.log(0.5))}),
    activation            = hp.choice("activation", {"relu", "elu"}),
  },
  objective = "resnet",
  trainer   = { dataset = "fashion-mnist", data_dir = data, epochs = 1,
                train_limit = 12000, validation = 5000, flip = false },
  -- 6 random startup trials (hyperopt's default is 20, more than this
  -- whole study), then 6 proposed by TPE
  algo      = { name = "tpe", n_startup_trials = 6 },
  max_evals = 12,
  seed      = 1,
}
