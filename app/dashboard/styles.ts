/** The dashboard's one stylesheet: system fonts, light and dark, readable at 360 px wide. */
export const STYLES = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1c2024;--muted:#5f6873;--line:#dde1e6;
--accent:#0b63ce;--ok:#137333;--ok-bg:#e6f4ea;--bad:#b3261e;--bad-bg:#fce8e6;--warn:#8a5300;--warn-bg:#fff4d6;
--run:#0b57d0;--run-bg:#e3edff;--idle:#4b5563;--idle-bg:#eceff3;--code:#f0f2f5}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1a1e24;--fg:#e6e8eb;--muted:#9aa4af;--line:#2c323a;
--accent:#7fb2ff;--ok:#81c995;--ok-bg:#143321;--bad:#f2998f;--bad-bg:#3d1714;--warn:#f6c26b;--warn-bg:#3a2c0b;
--run:#a8c7fa;--run-bg:#152a4d;--idle:#c0c7cf;--idle-bg:#2a3038;--code:#0c0f12}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
header{display:flex;align-items:center;gap:1rem;flex-wrap:wrap;padding:.6rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
header .brand{font-weight:700;text-decoration:none;color:var(--fg)}
header nav{display:flex;gap:1rem;flex:1}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem;display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
h2{font-size:1.15rem;margin:0 0 .6rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem;margin-bottom:1rem}
.muted{color:var(--muted)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.8rem}
.stage{border:1px solid var(--line);border-radius:8px;padding:.8rem;display:flex;flex-direction:column;gap:.35rem}
.stage .head{display:flex;justify-content:space-between;align-items:center;gap:.5rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap;background:var(--idle-bg);color:var(--idle)}
.st-succeeded{background:var(--ok-bg);color:var(--ok)}
.st-failed,.st-interrupted{background:var(--bad-bg);color:var(--bad)}
.st-running,.st-queued{background:var(--run-bg);color:var(--run)}
.st-awaiting_approval,.attention{background:var(--warn-bg);color:var(--warn)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:linear-gradient(to right,var(--card) 30%,transparent),linear-gradient(to left,var(--card) 30%,transparent) right,radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.25),transparent),radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.25),transparent) right;background-repeat:no-repeat;background-size:2.5rem 100%,2.5rem 100%,.8rem 100%,.8rem 100%;background-attachment:local,local,scroll,scroll}
.scroll-hint{display:none;font-size:.8rem;margin:.2rem 0}
.actions label.wide{flex:1 1 22rem;max-width:40rem}.actions label.wide input{width:100%}
.tag-picker{flex-basis:100%;font-size:.9rem}
.tag-picker p{margin:.2rem 0}
.tag-list{list-style:none;margin:.3rem 0 0;padding:0;display:flex;flex-direction:column;gap:.25rem;max-height:15rem;overflow-y:auto}
.tag-choice{display:flex;flex-wrap:wrap;gap:.3rem .8rem;align-items:center;width:100%;text-align:left;font-weight:400;min-height:2.2rem;padding:.25rem .6rem;border-color:var(--line);color:var(--fg)}
.tag-choice[aria-pressed=true]{border-color:var(--accent);background:var(--run-bg)}
table{border-collapse:collapse;width:100%;min-width:34rem}
table.compact{min-width:0}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td .mono{white-space:nowrap}
th{font-size:.8rem;color:var(--muted);font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
form.inline{display:inline}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:flex-end;margin-top:.4rem}
label{display:flex;flex-direction:column;gap:.2rem;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;padding:.45rem .7rem;border-radius:6px;border:1px solid var(--line);background:var(--bg);color:var(--fg);min-height:2.4rem}
button{cursor:pointer;background:var(--accent);border-color:var(--accent);color:#fff;font-weight:600}
button.secondary{background:transparent;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
@media (prefers-color-scheme:dark){button{color:#0b0e12}}
.error{border-color:var(--bad);background:var(--bad-bg)}
.notice{padding:.6rem .8rem;border-radius:8px;margin-bottom:1rem}
pre{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:.6rem;overflow-x:auto;margin:.4rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere}
ol.log{list-style:none;margin:0;padding:.5rem;background:var(--code);border:1px solid var(--line);border-radius:6px;max-height:60vh;overflow-y:auto}
ol.log li{display:grid;grid-template-columns:max-content 1fr;gap:.6rem;padding:.1rem 0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
ol.log .t{color:var(--muted)}ol.log .p{color:var(--run)}ol.log .m{overflow-wrap:anywhere;min-width:0}
ol.log .lvl-warn .m{color:var(--warn)}ol.log .lvl-error .m{color:var(--bad)}
.login{max-width:24rem;margin:12vh auto}
.login form{display:flex;flex-direction:column;gap:.8rem}
@media (max-width:40rem){main{padding:.6rem}.card{padding:.8rem}dl{grid-template-columns:1fr}dt{margin-top:.3rem}.scroll-hint{display:block}}
`;
