//! Label functions and `info()`.

use super::*;

#[test]
fn info_adds_data_labels() {
    let store = Fixture::new()
        .series(
            "metric{instance=\"a\",job=\"1\",label=\"value\"}",
            5 * M,
            0.0,
            1.0,
            2,
        )
        .series(
            "other{instance=\"a\",job=\"2\",label=\"value\"}",
            5 * M,
            0.0,
            1.0,
            2,
        )
        .series(
            "target_info{instance=\"a\",job=\"1\",data=\"info\",another_data=\"another info\"}",
            5 * M,
            1.0,
            0.0,
            2,
        )
        .series(
            "build_info{instance=\"a\",job=\"1\",build_data=\"build\"}",
            5 * M,
            1.0,
            0.0,
            2,
        )
        .store;
    assert_eq!(
        eval(&store, "info(metric)", 5 * M).unwrap(),
        "{__name__=\"metric\", another_data=\"another info\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(metric, {data=~\".+\"})", 5 * M).unwrap(),
        "{__name__=\"metric\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(other, {data=~\".+\"})", 5 * M).unwrap(),
        ""
    );
    assert_eq!(
        eval(&store, "info(metric, {__name__=~\".+_info\"})", 5 * M).unwrap(),
        "{__name__=\"metric\", another_data=\"another info\", build_data=\"build\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(build_info, {__name__=~\".+_info\"})", 5 * M).unwrap(),
        "{__name__=\"build_info\", build_data=\"build\", instance=\"a\", job=\"1\"} => 1\n"
    );
    assert_eq!(
        eval(&store, "info(floor(metric))", 5 * M).unwrap(),
        "{another_data=\"another info\", data=\"info\", instance=\"a\", job=\"1\", label=\"value\"} => 1\n"
    );
}

#[test]
fn info_errors() {
    let store = Fixture::new()
        .series("metric{instance=\"a\",job=\"1\"}", M, 1.0, 1.0, 2)
        .series(
            "target_info{instance=\"a\",job=\"1\",x=\"from_target\"}",
            M,
            1.0,
            0.0,
            2,
        )
        .series(
            "build_info{instance=\"a\",job=\"1\",x=\"from_build\"}",
            M,
            1.0,
            0.0,
            2,
        )
        .at(
            "histogram{instance=\"a\",job=\"1\"}",
            &[(0, h(hist(1, 22.0, 3.0, 0, &[5.0, 10.0, 7.0])))],
        )
        .store;
    assert_eq!(
        eval(&store, "info(metric, {__name__=~\".+_info\"})", M).unwrap_err(),
        "conflicting label: x"
    );
    assert!(
        eval(&store, "info(metric, {__name__=\"histogram\"})", 0)
            .unwrap_err()
            .starts_with("this should be an info metric, with float samples")
    );
}

#[test]
fn info_at_and_offset_pin_the_info_lookup() {
    let store = Fixture::new()
        .series("metric{instance=\"a\",job=\"1\"}", M, 0.0, 1.0, 8)
        .floats(
            "target_info{instance=\"a\",job=\"1\",version=\"old\"}",
            M,
            &[Some(1.0), Some(1.0), Some(1.0), stale()],
        )
        .floats(
            "target_info{instance=\"a\",job=\"1\",version=\"new\"}",
            M,
            &[
                None,
                None,
                None,
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(1.0),
            ],
        )
        .store;
    assert_eq!(
        eval(&store, "info(metric offset 2m)", 4 * M).unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"old\"} => 2\n"
    );
    assert_eq!(
        eval(&store, "info(metric @ 120)", 9 * M).unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"old\"} => 2\n"
    );
    assert_eq!(
        eval(
            &store,
            "info(last_over_time((metric offset 1m)[10m:1m] @ 180))",
            40 * M
        )
        .unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"old\"} => 2\n"
    );
    assert_eq!(
        eval(
            &store,
            "info(last_over_time(metric[5m:1m] offset 6m))",
            9 * M
        )
        .unwrap(),
        "{__name__=\"metric\", instance=\"a\", job=\"1\", version=\"new\"} => 3\n"
    );
}
