//! The per-area statistics of the BigBrain that calibrate the synthetic
//! generator: layer thickness fractions and the mean intensity profile
//! of the 18 areas lamina trains on by default.
//!
//! This file holds data only; [`synth`](super::synth) turns it into
//! profiles. The figures are those of `bigbrain_dk_layer_stats.csv`
//! shipped with the BigBrain data (not with this crate), rounded as
//! there: intensities from the BigBrain sampled on 18 equivolumetric
//! surfaces (Paquola et al., PLOS Biology 2019; BigBrainWarp, Paquola et
//! al., eLife 2021), layer thicknesses from the laminar segmentation of
//! Wagstyl et al., PLOS Biology 2020, areas of the Desikan-Killiany
//! parcellation.

/// The number of cortical layers, I to VI.
pub const N_LAYERS: usize = 6;

/// The statistics of one area over all its vertices in both hemispheres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AreaStats {
    /// The Desikan-Killiany name, e.g. `"pericalcarine"`.
    pub name: &'static str,
    /// Cortical thickness in mm: mean and standard deviation.
    pub total_mm: (f32, f32),
    /// Each layer's fraction of the depth (I..VI): means.
    pub frac_mean: [f32; N_LAYERS],
    /// Each layer's fraction of the depth (I..VI): standard deviations.
    pub frac_sd: [f32; N_LAYERS],
    /// The mean grey value on the 18 surfaces, pial first (I01..I18).
    pub profile: [f32; 18],
}

/// The 18 areas of `labels.json` key `dk18`, in that order (index 0 =
/// pericalcarine ... 17 = posteriorcingulate).
///
/// Source: `bigbrain_dk_layer_stats.csv` of the BigBrain data (Paquola
/// et al. 2019; Wagstyl et al. 2020), columns `total_mm_*`,
/// `frac_L*_mean`, `frac_L*_sd` and `I01`..`I18`.
#[rustfmt::skip]
pub const AREAS: [AreaStats; 18] = [
    AreaStats {
        name: "pericalcarine",
        total_mm: (1.888, 0.278),
        frac_mean: [0.1226, 0.0775, 0.2147, 0.278, 0.1233, 0.1839],
        frac_sd: [0.0386, 0.0211, 0.0472, 0.094, 0.0438, 0.0592],
        profile: [
            46717.1, 46064.2, 45816.7, 45354.8, 44611.5, 43832.8,
            43390.4, 43295.1, 43188.9, 42776.9, 42208.8, 41706.5,
            41636.5, 42374.5, 43806.6, 44898.5, 45099.7, 45969.6,
        ],
    },
    AreaStats {
        name: "cuneus",
        total_mm: (1.866, 0.289),
        frac_mean: [0.1159, 0.103, 0.2737, 0.1239, 0.1836, 0.1998],
        frac_sd: [0.0405, 0.021, 0.045, 0.0491, 0.0474, 0.0499],
        profile: [
            47419.0, 46576.8, 46498.8, 46325.2, 45788.0, 44934.3,
            43889.4, 42866.4, 41912.1, 41215.2, 40933.5, 41099.9,
            41802.6, 42753.2, 43682.4, 44395.1, 44843.3, 45698.9,
        ],
    },
    AreaStats {
        name: "lingual",
        total_mm: (1.911, 0.294),
        frac_mean: [0.1237, 0.0977, 0.2551, 0.1569, 0.1675, 0.1991],
        frac_sd: [0.0454, 0.0236, 0.0555, 0.0855, 0.0524, 0.053],
        profile: [
            47136.0, 46423.6, 46440.5, 46347.4, 45905.6, 45165.0,
            44255.6, 43311.4, 42368.7, 41525.4, 41031.5, 41150.9,
            41733.4, 42582.8, 43507.2, 44139.1, 44426.8, 45281.3,
        ],
    },
    AreaStats {
        name: "lateraloccipital",
        total_mm: (1.917, 0.344),
        frac_mean: [0.1153, 0.1021, 0.2785, 0.1214, 0.1798, 0.2029],
        frac_sd: [0.0408, 0.0234, 0.0488, 0.0636, 0.0465, 0.0566],
        profile: [
            46881.3, 46310.6, 46527.2, 46487.4, 46046.1, 45279.6,
            44358.1, 43397.9, 42536.4, 41899.9, 41668.4, 41964.4,
            42659.3, 43516.9, 44310.5, 44735.3, 44942.6, 45856.0,
        ],
    },
    AreaStats {
        name: "fusiform",
        total_mm: (2.326, 0.329),
        frac_mean: [0.1126, 0.1037, 0.2846, 0.0892, 0.1898, 0.2202],
        frac_sd: [0.0467, 0.0233, 0.0449, 0.0274, 0.0442, 0.0554],
        profile: [
            47098.4, 47021.6, 47483.1, 47704.5, 47548.3, 46984.0,
            46136.8, 45122.7, 44164.3, 43409.4, 43164.9, 43414.3,
            43777.8, 44059.8, 44327.7, 44508.9, 44714.6, 45448.4,
        ],
    },
    AreaStats {
        name: "inferiortemporal",
        total_mm: (2.394, 0.333),
        frac_mean: [0.1127, 0.1057, 0.2778, 0.0852, 0.1851, 0.2336],
        frac_sd: [0.0464, 0.0247, 0.041, 0.022, 0.0415, 0.0542],
        profile: [
            47134.3, 47023.9, 47568.0, 47914.1, 47846.1, 47420.5,
            46698.1, 45813.6, 44945.4, 44251.8, 43984.8, 44209.2,
            44557.0, 44788.1, 44860.7, 44867.0, 45064.3, 45805.8,
        ],
    },
    AreaStats {
        name: "middletemporal",
        total_mm: (2.454, 0.34),
        frac_mean: [0.1078, 0.1037, 0.2732, 0.0841, 0.1887, 0.2425],
        frac_sd: [0.0392, 0.0235, 0.0397, 0.0268, 0.0379, 0.0553],
        profile: [
            47358.7, 47120.1, 47688.0, 47996.4, 47871.6, 47378.9,
            46643.2, 45827.4, 45085.7, 44489.7, 44252.6, 44445.4,
            44777.2, 45014.0, 45163.0, 45239.6, 45458.3, 46112.4,
        ],
    },
    AreaStats {
        name: "superiortemporal",
        total_mm: (2.486, 0.369),
        frac_mean: [0.1227, 0.1074, 0.2715, 0.0832, 0.1847, 0.2305],
        frac_sd: [0.0488, 0.0269, 0.0454, 0.0265, 0.0432, 0.0576],
        profile: [
            47670.3, 47369.2, 47787.8, 48013.5, 47863.7, 47406.7,
            46735.7, 46064.0, 45525.9, 45129.9, 44903.2, 44940.1,
            45198.5, 45544.7, 45901.1, 46132.0, 46280.5, 46846.2,
        ],
    },
    AreaStats {
        name: "transversetemporal",
        total_mm: (2.246, 0.255),
        frac_mean: [0.1291, 0.1022, 0.2403, 0.0989, 0.1991, 0.2303],
        frac_sd: [0.0463, 0.0232, 0.0402, 0.027, 0.0457, 0.0526],
        profile: [
            48535.1, 47742.3, 47879.1, 47914.7, 47536.6, 46843.0,
            45984.0, 45281.0, 44922.4, 44746.5, 45019.1, 45692.0,
            46421.7, 46997.2, 47472.7, 47472.4, 47291.3, 47924.5,
        ],
    },
    AreaStats {
        name: "insula",
        total_mm: (2.486, 0.453),
        frac_mean: [0.1302, 0.0996, 0.2805, 0.0614, 0.1917, 0.2366],
        frac_sd: [0.054, 0.022, 0.0491, 0.0205, 0.0475, 0.0551],
        profile: [
            49607.1, 49462.1, 49882.7, 50161.1, 50194.0, 49989.5,
            49612.4, 49167.5, 48712.7, 48332.2, 48132.0, 48155.8,
            48367.9, 48657.5, 48899.9, 49035.2, 49224.4, 49729.8,
        ],
    },
    AreaStats {
        name: "postcentral",
        total_mm: (2.097, 0.379),
        frac_mean: [0.1251, 0.1025, 0.2564, 0.0978, 0.1872, 0.231],
        frac_sd: [0.0424, 0.024, 0.0429, 0.0311, 0.0426, 0.0568],
        profile: [
            48435.0, 47672.6, 47649.9, 47500.5, 47036.2, 46334.1,
            45502.5, 44749.4, 44266.4, 44033.1, 44061.5, 44352.6,
            44835.5, 45426.3, 45994.0, 46289.7, 46391.2, 46925.7,
        ],
    },
    AreaStats {
        name: "precentral",
        total_mm: (2.373, 0.454),
        frac_mean: [0.1131, 0.0969, 0.2702, 0.0706, 0.1953, 0.2539],
        frac_sd: [0.0432, 0.0261, 0.0522, 0.031, 0.0454, 0.0677],
        profile: [
            48639.1, 48245.6, 48449.7, 48447.4, 48185.9, 47732.3,
            47187.5, 46660.7, 46333.1, 46246.0, 46342.6, 46517.0,
            46754.5, 47050.1, 47392.5, 47737.4, 48093.4, 48669.4,
        ],
    },
    AreaStats {
        name: "superiorparietal",
        total_mm: (2.107, 0.3),
        frac_mean: [0.1134, 0.1034, 0.2872, 0.0908, 0.19, 0.2152],
        frac_sd: [0.041, 0.0222, 0.0494, 0.0259, 0.0428, 0.056],
        profile: [
            48496.2, 47981.7, 48120.7, 48060.1, 47613.9, 46866.7,
            45928.3, 44988.7, 44246.2, 43806.4, 43649.5, 43830.5,
            44357.0, 45037.9, 45582.5, 45827.0, 45972.7, 46702.3,
        ],
    },
    AreaStats {
        name: "inferiorparietal",
        total_mm: (2.225, 0.303),
        frac_mean: [0.1091, 0.1028, 0.2872, 0.0868, 0.1901, 0.224],
        frac_sd: [0.0391, 0.0216, 0.0491, 0.0271, 0.0406, 0.0578],
        profile: [
            48001.6, 47585.3, 47869.0, 47962.5, 47668.3, 47052.0,
            46221.3, 45290.8, 44451.2, 43865.6, 43629.7, 43875.7,
            44429.7, 44944.8, 45295.5, 45489.0, 45716.0, 46371.0,
        ],
    },
    AreaStats {
        name: "precuneus",
        total_mm: (2.153, 0.348),
        frac_mean: [0.1178, 0.1019, 0.2871, 0.1018, 0.1828, 0.2085],
        frac_sd: [0.0449, 0.0254, 0.0517, 0.0598, 0.0461, 0.0562],
        profile: [
            48043.9, 47664.8, 47917.2, 47920.9, 47577.9, 46972.5,
            46205.0, 45445.8, 44820.6, 44389.7, 44101.1, 44063.0,
            44379.8, 44937.2, 45566.4, 46003.0, 46231.7, 46843.4,
        ],
    },
    AreaStats {
        name: "superiorfrontal",
        total_mm: (2.291, 0.329),
        frac_mean: [0.1254, 0.1035, 0.2678, 0.0643, 0.1947, 0.2444],
        frac_sd: [0.045, 0.025, 0.0434, 0.023, 0.0456, 0.05],
        profile: [
            49296.4, 49187.4, 49740.9, 49906.2, 49767.6, 49417.4,
            48929.3, 48407.2, 47978.4, 47742.6, 47668.6, 47688.0,
            47869.1, 48184.7, 48488.1, 48636.7, 48755.0, 49172.1,
        ],
    },
    AreaStats {
        name: "rostralmiddlefrontal",
        total_mm: (2.156, 0.256),
        frac_mean: [0.1272, 0.0941, 0.255, 0.0705, 0.2081, 0.2452],
        frac_sd: [0.0422, 0.0233, 0.0457, 0.0279, 0.0419, 0.0464],
        profile: [
            50623.1, 50551.0, 50839.8, 50791.1, 50468.9, 50011.1,
            49511.8, 49066.5, 48760.6, 48599.3, 48536.3, 48594.3,
            48836.9, 49172.8, 49380.8, 49273.7, 49128.1, 49644.3,
        ],
    },
    AreaStats {
        name: "posteriorcingulate",
        total_mm: (2.248, 0.367),
        frac_mean: [0.116, 0.101, 0.2706, 0.0703, 0.1912, 0.2509],
        frac_sd: [0.0462, 0.0251, 0.0402, 0.0215, 0.0424, 0.0534],
        profile: [
            48157.1, 47719.9, 48053.8, 48225.4, 48073.9, 47745.5,
            47302.6, 46863.4, 46545.5, 46217.6, 45911.2, 45784.5,
            45964.2, 46340.4, 46681.9, 46844.6, 47077.7, 47797.0,
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_dk18_order_and_fractions_sum_to_one() {
        assert_eq!(AREAS[0].name, "pericalcarine");
        assert_eq!(AREAS[9].name, "insula");
        assert_eq!(AREAS[17].name, "posteriorcingulate");
        for a in &AREAS {
            let sum: f32 = a.frac_mean.iter().sum();
            assert!((sum - 1.0).abs() < 2e-3, "{}: {sum}", a.name);
            assert!(a.frac_sd.iter().all(|&s| s > 0.0 && s < 0.1));
            assert!(a.profile.iter().all(|&v| (35e3..65e3).contains(&v)));
        }
        assert_eq!(AREAS[0].profile[12], 41636.5);
    }
}
