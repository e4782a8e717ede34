"""A tiny district whose 2024 account was worked out by hand (see test_account.py).

Factor set shanghai_local@v1: electricity 0.42 tCO2/MWh, 0.1229 / 0.3007 kgce/kWh
(equivalent / equal, the 2024 row of the per-year series); natural gas 21.6219 tCO2/10^4
m3, 1.33 kgce/m3; diesel 3.0959 tCO2/t, 1.4571 kgce/kg; heat 0.06 tCO2/GJ, 0.03412
kgce/MJ; diesel density 0.84 t/m3.
"""

from __future__ import annotations

from pathlib import Path

from carbonpeak.intake.imports import import_file
from carbonpeak.storage.workspace import Workspace

ENTITIES = """
entity_id,name,kind,street,building_type,floor_area_m2,lat,lon,parent_id,sector_code
E1,外滩集团,enterprise,外滩街道,,,31.238,121.487,,J66
B1,外滩一号楼,building,外滩街道,office,10000,31.238,121.487,E1,J66
B2,豫园商城,building,豫园街道,mall,60000,31.228,121.488,,F52
B3,黄浦医院,public_institution,豫园,hospital,5000,31.228,121.488,,Q84
B4,外滩二号楼,building,The Bund,office,8000,31.238,121.487,,L72
"""
METERS = """
meter_id,entity_id,carrier,unit,submeter,register,multiplier,interval_minutes,rollover_at
M1,B1,electricity,kWh,,interval,2,60,
M1a,B1,electricity,kWh,hvac,interval,1,60,
M2,B2,electricity,kWh,,cumulative,10,60,9999
M3,B2,natural_gas,m3,,cumulative,1,1440,
M4,B2,pv_generation,kWh,,interval,1,60,
M5,B4,electricity,kWh,,cumulative,1,60,
"""
READINGS = """
meter_id,ts,value
M1,2024-01-01T00:00:00,100
M1,2024-01-01T01:00:00,50
M1a,2024-01-01T00:00:00,80
M2,2023-12-31T23:00:00,9990
M2,2024-01-01T00:00:00,9995
M2,2024-01-01T01:00:00,5
M2,2024-01-01T02:00:00,25
M3,2024-01-31T00:00:00+08:00,1000
M3,2024-02-01T16:00:00Z,1100
M4,2024-01-01T12:00:00,40
M5,2024-01-01T00:00:00,100
M5,2024-01-01T01:00:00,110
M5,2024-01-01T02:00:00,5
M5,2024-01-01T03:00:00,15
"""
LEDGER = """
entity_id,period,carrier,quantity,unit
E1,2024-01,diesel,1000,L
B1,2024-01,electricity,1000,kWh
B1,2024-02,electricity,1.5,万kWh
B3,2024-01,电力,1,万千瓦时
B3,2024-02,electricity,1,万kWh
B3,2024-03,electricity,1,万kWh
B3,2024-04,electricity,1,万kWh
B3,2024-05,electricity,1,万kWh
B3,2024-06,electricity,1,万kWh
B3,2024-07,electricity,1,万kWh
B3,2024-08,electricity,1,万kWh
B3,2024-09,electricity,1,万kWh
B3,2024-10,electricity,1,万kWh
B3,2024-11,electricity,1,万kWh
B3,2024-01,heat,100,GJ
"""
STATISTICS = """
year,gdp_10k_cny,population,energy_tce
2024,1000000,500000,100
"""


def write_files(folder: Path) -> dict[str, Path]:
    """Write the five CSV files of the reference district."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind, text in (("entities", ENTITIES), ("meters", METERS), ("readings", READINGS),
                       ("ledger", LEDGER), ("statistics", STATISTICS)):
        path = folder / f"{kind}.csv"
        path.write_text("\n".join(x.strip() for x in text.strip().splitlines()) + "\n",
                        encoding="utf-8")
        out[kind] = path
    return out


def load(ws: Workspace, folder: Path, district: str | None = None) -> dict[str, Path]:
    """Import the reference district into ``ws`` (into Huangpu when there are several)."""
    files = write_files(folder)
    for kind in ("entities", "meters", "readings", "ledger", "statistics"):
        import_file(ws, kind, files[kind], district=district)
    return files
