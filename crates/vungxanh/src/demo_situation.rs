//! The demo's situation room: schematic boundaries drawn for Châu Thành's communes and
//! hamlets (a grid, labelled schematic: they are not the real boundaries), and a few
//! announcements. The levels it shows are stored by the zone-status step (`demo_zones`).

use anyhow::{Context, Result};
use chrono::NaiveDate;
use vx_store::{Actor, Boundary, Store};

/// The demo district.
const DISTRICT: &str = "831";

fn day(s: &str) -> NaiveDate {
    s.parse().expect("demo dates")
}

/// A rectangle with its corners cut, as one ring (longitude, latitude), closed.
fn cell(x0: f64, y0: f64, w: f64, h: f64) -> Vec<(f64, f64)> {
    let (cx, cy) = (w * 0.12, h * 0.12);
    vec![
        (x0 + cx, y0),
        (x0 + w - cx, y0),
        (x0 + w, y0 + cy),
        (x0 + w, y0 + h - cy),
        (x0 + w - cx, y0 + h),
        (x0 + cx, y0 + h),
        (x0, y0 + h - cy),
        (x0, y0 + cy),
        (x0 + cx, y0),
    ]
}

/// A grid of `n` cells over the box, row by row from the north-west.
fn grid(n: usize, x0: f64, y0: f64, w: f64, h: f64) -> Vec<(f64, f64, f64, f64)> {
    let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
    let rows = n.div_ceil(cols).max(1);
    let (cw, ch) = (w / cols as f64, h / rows as f64);
    (0..n)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            (x0 + c as f64 * cw, y0 + h - (r + 1) as f64 * ch, cw, ch)
        })
        .collect()
}

/// Schematic boundaries of the district's communes and of each commune's hamlets.
pub async fn schematic_boundaries(
    store: &Store,
    district: &vx_domain::Unit,
) -> Result<Vec<Boundary>> {
    let communes = store.children(Some(&district.code)).await?;
    let mut out = Vec::new();
    // Châu Thành lies around 106.3 E, 10.3 N.
    for (c, (x, y, w, h)) in communes
        .iter()
        .zip(grid(communes.len(), 106.18, 10.22, 0.24, 0.18))
    {
        let gap = w * 0.02;
        let (x, y, w, h) = (x + gap, y + gap, w - 2.0 * gap, h - 2.0 * gap);
        out.push(Boundary {
            unit_code: c.code.to_string(),
            polygons: vec![vec![cell(x, y, w, h)]],
            schematic: true,
        });
        let hamlets = store.children(Some(&c.code)).await?;
        for (a, (hx, hy, hw, hh)) in hamlets.iter().zip(grid(hamlets.len(), x, y, w, h)) {
            out.push(Boundary {
                unit_code: a.code.to_string(),
                polygons: vec![vec![cell(hx, hy, hw, hh)]],
                schematic: true,
            });
        }
    }
    Ok(out)
}

pub async fn seed(store: &Store) -> Result<()> {
    let actor = Actor::system("demo");
    let district = store
        .unit(DISTRICT)
        .await?
        .context("the demo district is missing")?;
    let boundaries = schematic_boundaries(store, &district).await?;
    store
        .import_boundaries(&actor, "demo-schematic-boundaries.geojson", &boundaries)
        .await
        .context("schematic boundaries")?;
    let phuoc_thanh = store.unit("28846").await?.context("Phước Thạnh")?;
    for (unit, title, body, on) in [
        (
            &district,
            "Giãn cách xã hội theo Chỉ thị 16 trên toàn huyện",
            "Thực hiện Nghị quyết 04 của Huyện uỷ: tiếp tục giãn cách xã hội trên toàn huyện theo tinh thần Chỉ thị 16/CT-TTg, có nới lỏng ở nơi đủ điều kiện. Người dân ở nhà, chỉ ra ngoài khi thật cần thiết. Giới nghiêm từ 19 giờ đến 5 giờ sáng hôm sau.",
            "2021-09-09",
        ),
        (
            &phuoc_thanh,
            "Thí điểm vùng xanh tại xã Phước Thạnh",
            "Xã Phước Thạnh thí điểm quản lý vùng xanh theo quy chế riêng. Xét nghiệm sàng lọc toàn xã mỗi 72 giờ; người ra vào xã xuất trình giấy xét nghiệm âm tính còn hiệu lực.",
            "2021-09-11",
        ),
        (
            &district,
            "Huyện Châu Thành trở lại trạng thái bình thường mới",
            "Từ ngày 21/9/2021, các xã, thị trấn đã đạt vùng xanh được mở lại chợ và cơ sở sản xuất có phương án phòng dịch. Người dân tiếp tục thực hiện 5K.",
            "2021-09-21",
        ),
    ] {
        store
            .create_announcement(&actor, unit, title, body, day(on))
            .await
            .with_context(|| format!("announcement {title:?}"))?;
    }
    Ok(())
}
