// vungxanh field app (docs/field.md): today's work, households, sampling and a queue of
// records made offline, synced by POST /api/v1/sync. Plain JavaScript, no build step. The
// pulled data and the queue live in IndexedDB; the service worker (sw.js) keeps the shell.
// The screen is drawn with DOM calls (never innerHTML), so names and notes stay text.

const DB_NAME = 'vungxanh-field';
const DATA = ['households', 'people', 'quarantines', 'checks', 'visits', 'rounds', 'programmes'];
const KEYS = {
  session: 'k', queue: 'client_id', households: 'id', people: 'id', quarantines: 'contact_id',
  checks: 'id', visits: 'id', rounds: 'id', programmes: 'id',
};
const LOGIN = '/login?next=/field/';
const EVERY = 60_000;

// ---------------------------------------------------------------------------------------
// Strings: Vietnamese first, English second. {0}, {1} are filled in order.

const STR = {
  vi: {
    title: 'Công việc thực địa', syncArea: 'Đồng bộ', skip: 'Bỏ qua, đến nội dung', screens: 'Màn hình',
    online: 'Trực tuyến', offline: 'Ngoại tuyến', count: 'Đang chờ đồng bộ: {0}',
    last: 'Đồng bộ lần cuối: {0}', never: 'chưa', syncNow: 'Đồng bộ ngay', syncing: 'Đang đồng bộ…',
    expired: 'Phiên đăng nhập đã hết hạn hoặc bị thu hồi — đăng nhập lại', signIn: 'Đăng nhập lại',
    noSession: 'Bạn chưa đăng nhập.', unreachable: 'Không kết nối được máy chủ; dữ liệu vẫn ở trên máy.',
    fail: 'Đồng bộ không thành công ({0}); dữ liệu vẫn ở trên máy.',
    offlineNote: 'Ngoại tuyến: bản ghi được lưu trên máy và gửi khi có mạng.',
    problems: 'Sau đồng bộ: {0} xung đột, {1} bị từ chối — xem Hàng đợi.',
    logout: 'Đăng xuất', logoutQ: 'Còn {0} bản ghi chưa đồng bộ; đăng xuất sẽ xoá chúng khỏi máy. Vẫn đăng xuất?',
    logoutYes: 'Vẫn đăng xuất', no: 'Không', langOther: 'English',
    today: 'Hôm nay', households: 'Hộ dân', sampling: 'Lấy mẫu', queue: 'Hàng đợi',
    todayTitle: 'Công việc hôm nay', workDay: 'Ngày làm việc: {0}',
    checks: 'Kiểm tra hằng ngày', testsDue: 'Xét nghiệm đến hạn hôm nay', noQuar: 'Không có ai đang cách ly.',
    noTests: 'Không có xét nghiệm nào đến hạn hôm nay.', noData: 'Chưa có dữ liệu trên máy — đồng bộ khi có mạng.',
    notChecked: 'Chưa kiểm tra', check: 'Kiểm tra', edit: 'Sửa', pending: 'chờ đồng bộ',
    quarDay: 'ngày {0}/{1}', place_home: 'tại nhà', place_facility: 'cơ sở tập trung', place_hotel: 'khách sạn',
    testDay: 'xét nghiệm ngày {0}', noSymptoms: 'không triệu chứng', isPresent: 'có mặt', isAbsent: 'vắng mặt',
    temperature: 'Nhiệt độ (°C)', tempHint: 'Ví dụ 36,8; để trống nếu không đo', symptoms: 'Triệu chứng',
    symptomsHint: 'Để trống nếu không có', present: 'Có mặt tại nơi cách ly', save: 'Lưu', cancel: 'Huỷ',
    saved: 'Đã lưu trên máy — chờ đồng bộ.', back: 'Quay lại',
    hhTitle: 'Hộ gia đình', search: 'Tìm theo mã hộ hoặc tên chủ hộ', shown: 'Hiện {0} trên {1} hộ.',
    noHouseholds: 'Chưa có danh sách hộ trên máy — đồng bộ khi có mạng.', household: 'Hộ {0}',
    members: 'Thành viên', visits: 'Các lần thăm', actions: 'Việc cần làm', noVisits: 'Chưa có lần thăm nào.',
    visit: 'Thăm hộ', aid: 'Trao hỗ trợ', newPerson: 'Người mới', aidTo: 'Trao hỗ trợ: {0}',
    sampleHere: 'Lấy mẫu ({0} người)', head: 'Chủ hộ: {0}', inQuar: 'đang cách ly {0}',
    outcome: 'Kết quả', out_met: 'Gặp được', out_absent: 'Vắng nhà', out_refused: 'Từ chối', note: 'Ghi chú',
    day: 'Ngày: {0}', receipt: 'Số biên nhận', goods: 'Hỗ trợ: {0}', aidDone: 'đã trao',
    fullName: 'Họ và tên', birthYear: 'Năm sinh', sex: 'Giới tính', sex_male: 'Nam', sex_female: 'Nữ',
    relation: 'Quan hệ với chủ hộ', rel_head: 'Chủ hộ', rel_spouse: 'Vợ/chồng', rel_child: 'Con',
    rel_parent: 'Cha/mẹ', rel_grandchild: 'Cháu', rel_sibling: 'Anh/chị/em', rel_other: 'Khác',
    samplingTitle: 'Lấy mẫu', roundNo: 'đợt {0}', round: 'Đợt xét nghiệm', noRounds: 'Không có đợt xét nghiệm nào đang mở.',
    pool: 'Mã ống mẫu (mã vạch)', poolHint: '4–32 chữ cái, chữ số hoặc dấu -', lab: 'Phòng xét nghiệm',
    filter: 'Lọc hộ theo mã hoặc tên', toSample: 'Người cần lấy mẫu', chosen: 'Đã chọn: {0}/10',
    allSampled: 'Không còn ai cần lấy mẫu.', moreHouseholds: 'Còn {0} hộ nữa — gõ để lọc.',
    takenHere: 'Mẫu đã lấy, chờ đồng bộ', saveSample: 'Lưu mẫu',
    queueTitle: 'Hàng đợi đồng bộ', queueEmpty: 'Không có bản ghi nào chờ đồng bộ.',
    st_queued: 'Chờ đồng bộ', st_conflict: 'Xung đột', st_refused: 'Bị từ chối', made: 'Lập lúc {0}',
    k_check: 'Kiểm tra hằng ngày', k_visit: 'Thăm hộ', k_sample: 'Lấy mẫu', k_aid: 'Trao hỗ trợ', k_person: 'Người mới',
    reason: 'Lý do: {0}', discard: 'Bỏ', discardQ: 'Bỏ bản ghi này? Không thể hoàn tác.', discardYes: 'Bỏ hẳn',
    conflictHelp: 'Người khác đã sửa cùng bản ghi trên máy chủ. Chọn giá trị giữ lại cho từng mục rồi gửi lại.',
    mine: 'Của tôi: {0}', theirs: 'Trên máy chủ: {0} ({1}, {2})', resend: 'Gửi lại với lựa chọn này',
    f_temperature: 'Nhiệt độ', f_symptoms: 'Triệu chứng', f_present: 'Có mặt', none: '(không có)',
    otherUser: 'Bản ghi của {0}: đăng nhập bằng tài khoản đó để gửi.',
    required: 'Cần điền mục này.', badTemp: 'Nhiệt độ phải từ 34,0 đến 43,0 °C.', badCode: 'Mã gồm 4–32 chữ cái, chữ số hoặc dấu -.',
    badMembers: 'Chọn từ 1 đến 10 người.', badYear: 'Năm sinh không hợp lệ.', tooLong: 'Quá dài.',
    notFound: 'Không tìm thấy trên máy.', people: '{0} người',
  },
  en: {
    title: 'Field work', syncArea: 'Sync', skip: 'Skip to content', screens: 'Screens',
    online: 'Online', offline: 'Offline', count: 'Waiting to sync: {0}',
    last: 'Last sync: {0}', never: 'never', syncNow: 'Sync now', syncing: 'Syncing…',
    expired: 'Your session has expired or was revoked — sign in again', signIn: 'Sign in again',
    noSession: 'You are not signed in.', unreachable: 'The server cannot be reached; the data stays on this phone.',
    fail: 'Sync failed ({0}); the data stays on this phone.',
    offlineNote: 'Offline: records are kept on this phone and sent when the network is back.',
    problems: 'After sync: {0} conflicts, {1} refused — see the queue.',
    logout: 'Sign out', logoutQ: '{0} records are not synced yet; signing out deletes them from this phone. Sign out anyway?',
    logoutYes: 'Sign out anyway', no: 'No', langOther: 'Tiếng Việt',
    today: 'Today', households: 'Households', sampling: 'Sampling', queue: 'Queue',
    todayTitle: "Today's work", workDay: 'Working day: {0}',
    checks: 'Daily checks', testsDue: 'Tests due today', noQuar: 'Nobody is in quarantine.',
    noTests: 'No test is due today.', noData: 'No data on this phone yet — sync when online.',
    notChecked: 'Not checked yet', check: 'Check', edit: 'Edit', pending: 'waiting to sync',
    quarDay: 'day {0}/{1}', place_home: 'at home', place_facility: 'facility', place_hotel: 'hotel',
    testDay: 'test on day {0}', noSymptoms: 'no symptoms', isPresent: 'present', isAbsent: 'absent',
    temperature: 'Temperature (°C)', tempHint: 'E.g. 36.8; empty if not measured', symptoms: 'Symptoms',
    symptomsHint: 'Empty if none', present: 'Present at the quarantine place', save: 'Save', cancel: 'Cancel',
    saved: 'Saved on this phone — waiting to sync.', back: 'Back',
    hhTitle: 'Households', search: "Search by household code or head's name", shown: 'Showing {0} of {1} households.',
    noHouseholds: 'No household list on this phone yet — sync when online.', household: 'Household {0}',
    members: 'Members', visits: 'Visits', actions: 'To do', noVisits: 'No visit yet.',
    visit: 'Household visit', aid: 'Hand over aid', newPerson: 'New person', aidTo: 'Hand over aid: {0}',
    sampleHere: 'Take samples ({0} people)', head: 'Head: {0}', inQuar: 'in quarantine {0}',
    outcome: 'Outcome', out_met: 'Met', out_absent: 'Nobody home', out_refused: 'Refused', note: 'Note',
    day: 'Day: {0}', receipt: 'Receipt number', goods: 'Aid: {0}', aidDone: 'handed over',
    fullName: 'Full name', birthYear: 'Year of birth', sex: 'Sex', sex_male: 'Male', sex_female: 'Female',
    relation: 'Relation to the head', rel_head: 'Head', rel_spouse: 'Spouse', rel_child: 'Child',
    rel_parent: 'Parent', rel_grandchild: 'Grandchild', rel_sibling: 'Sibling', rel_other: 'Other',
    samplingTitle: 'Sampling', roundNo: 'round {0}', round: 'Testing round', noRounds: 'No testing round is open.',
    pool: 'Pool code (barcode)', poolHint: '4–32 letters, digits or -', lab: 'Laboratory',
    filter: 'Filter households by code or name', toSample: 'People still to sample', chosen: 'Chosen: {0}/10',
    allSampled: 'Nobody left to sample.', moreHouseholds: '{0} more households — type to filter.',
    takenHere: 'Samples taken, waiting to sync', saveSample: 'Save the sample',
    queueTitle: 'Sync queue', queueEmpty: 'No record is waiting to sync.',
    st_queued: 'Waiting', st_conflict: 'Conflict', st_refused: 'Refused', made: 'Made {0}',
    k_check: 'Daily check', k_visit: 'Household visit', k_sample: 'Sample', k_aid: 'Aid handed over', k_person: 'New person',
    reason: 'Reason: {0}', discard: 'Discard', discardQ: 'Discard this record? This cannot be undone.', discardYes: 'Discard it',
    conflictHelp: 'Someone else changed the same record on the server. Choose the value to keep for each field, then send again.',
    mine: 'Mine: {0}', theirs: 'On the server: {0} ({1}, {2})', resend: 'Send again with these choices',
    f_temperature: 'Temperature', f_symptoms: 'Symptoms', f_present: 'Present', none: '(none)',
    otherUser: "{0}'s record: sign in as that user to send it.",
    required: 'This is needed.', badTemp: 'The temperature must be 34.0 to 43.0 °C.', badCode: 'The code is 4–32 letters, digits or -.',
    badMembers: 'Choose 1 to 10 people.', badYear: 'Not a valid year of birth.', tooLong: 'Too long.',
    notFound: 'Not found on this phone.', people: '{0} people',
  },
};

function cookieLang() {
  return (/(?:^|;\s*)lang=(vi|en)\b/.exec(document.cookie) || [])[1];
}
function stored(key, value) {
  try {
    if (value === undefined) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch { /* private mode */ }
  return null;
}
let L = cookieLang() || stored('vx-field-lang') || 'vi';
const t = (key, ...args) => (STR[L][key] ?? STR.vi[key] ?? key).replace(/\{(\d)\}/g, (_, i) => args[i] ?? '');

// ---------------------------------------------------------------------------------------
// State, in memory and in IndexedDB

const S = { session: null, auth: 'unknown', data: {}, queue: new Map(), msg: null };
for (const k of DATA) S.data[k] = new Map();
let db = null;

function idbOpen() {
  return new Promise((ok, ko) => {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => {
      for (const [name, keyPath] of Object.entries(KEYS)) {
        if (!r.result.objectStoreNames.contains(name)) r.result.createObjectStore(name, { keyPath });
      }
    };
    r.onsuccess = () => {
      r.result.onversionchange = () => r.result.close();
      ok(r.result);
    };
    r.onerror = () => ko(r.error);
  });
}

/** Writes in one transaction: [store, 'put' | 'delete' | 'clear', value]. */
function write(ops) {
  if (!db || !ops.length) return Promise.resolve();
  return new Promise((ok, ko) => {
    const tx = db.transaction([...new Set(ops.map((o) => o[0]))], 'readwrite');
    for (const [store, op, v] of ops) {
      if (op === 'clear') tx.objectStore(store).clear();
      else tx.objectStore(store)[op](v);
    }
    tx.oncomplete = () => ok();
    tx.onerror = tx.onabort = () => ko(tx.error);
  });
}

async function loadAll() {
  const tx = db.transaction(Object.keys(KEYS), 'readonly');
  const all = (s) => new Promise((ok, ko) => {
    const r = tx.objectStore(s).getAll();
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  const [sess, queue, ...rest] = await Promise.all(['session', 'queue', ...DATA].map(all));
  S.session = sess.find((x) => x.k === 'session') ?? null;
  for (const r of queue) S.queue.set(r.client_id, r);
  DATA.forEach((k, i) => {
    for (const v of rest[i]) S.data[k].set(v[KEYS[k]], v);
  });
}

function saveSession() {
  return write([['session', 'put', S.session]]);
}

// ---------------------------------------------------------------------------------------
// Days and times. The working day is the server's (the demo serves 2021-09-12): the phone
// keeps the distance between its own date and the server's day, so a day passes offline too.

const pad = (n) => String(n).padStart(2, '0');
const localDay = (d = new Date()) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const dayNum = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 864e5;
const numDay = (n) => new Date(n * 864e5).toISOString().slice(0, 10);
const today = () => numDay(dayNum(localDay()) + (S.session?.shift ?? 0));
const fmtDay = (s) => (s ? `${s.slice(8, 10)}/${s.slice(5, 7)}/${s.slice(0, 4)}` : '');
function stamp() {
  const d = new Date();
  const o = -d.getTimezoneOffset();
  const off = `${o < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(o) / 60))}:${pad(Math.abs(o) % 60)}`;
  return `${today()}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${off}`;
}
function fmtAt(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso || '';
  return `${pad(d.getHours())}:${pad(d.getMinutes())} ${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;
}
function setDay(day) {
  if (!day || !S.session) return;
  S.session.day = day;
  S.session.shift = dayNum(day) - dayNum(localDay());
}

const fold = (s) => (s ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
const temp = (x) => (x == null ? '—' : `${L === 'vi' ? String(x).replace('.', ',') : x} °C`);

// ---------------------------------------------------------------------------------------
// DOM

function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat(Infinity)) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const $ = (id) => document.getElementById(id);
const main = () => $('main');
let dirty = false;

// ---------------------------------------------------------------------------------------
// The queue

let lastSeq = 0;
const records = (kind) => [...S.queue.values()].filter((r) => !kind || r.kind === kind).sort((a, b) => a.seq - b.seq);
const mayPush = (r) => r.status === 'queued' && (!r.user || r.user === S.session?.user);

async function enqueue(kind, data, label, base = null, baseVersion = null, replaces = null) {
  lastSeq = Math.max(Date.now(), lastSeq + 1);
  const rec = {
    client_id: uuid(), kind, data, base, base_version: baseVersion, made_at: stamp(), seq: lastSeq,
    status: 'queued', reason: null, conflicts: null, user: S.session?.user ?? null, label,
  };
  const ops = [['queue', 'put', rec]];
  if (replaces && replaces !== rec.client_id) {
    S.queue.delete(replaces);
    ops.push(['queue', 'delete', replaces]);
  }
  S.queue.set(rec.client_id, rec);
  await write(ops);
  say(navigator.onLine ? 'saved' : 'offlineNote');
  bar();
  if (navigator.onLine) sync();
  return rec;
}

async function discard(id) {
  S.queue.delete(id);
  await write([['queue', 'delete', id]]);
  refresh(true);
}

/** A record applied by the server, written into the held data until the next pull. */
function applyLocal(rec, r, ops) {
  const d = rec.data;
  const by = S.session?.name ?? '';
  const at = new Date().toISOString();
  if (rec.kind === 'check' || rec.kind === 'visit') {
    const store = rec.kind === 'check' ? 'checks' : 'visits';
    if (rec.kind === 'check') {
      for (const c of S.data.checks.values()) {
        if (c.contact_id === d.contact_id && c.day === d.day && c.id !== r.id) {
          S.data.checks.delete(c.id);
          ops.push(['checks', 'delete', c.id]);
        }
      }
    }
    if (r.id != null) {
      const v = { ...d, id: r.id, version: r.version, by, at };
      S.data[store].set(v.id, v);
      ops.push([store, 'put', v]);
    }
  } else if (rec.kind === 'sample') {
    const round = S.data.rounds.get(d.round_id);
    if (round) {
      round.to_sample = (round.to_sample ?? []).filter((p) => !d.members.includes(p));
      ops.push(['rounds', 'put', round]);
    }
  } else if (rec.kind === 'aid') {
    const p = S.data.programmes.get(d.programme_id);
    if (p) {
      p.households = (p.households ?? []).filter((x) => x !== d.household_id);
      ops.push(['programmes', 'put', p]);
    }
  } else if (rec.kind === 'person' && r.id != null) {
    const v = { id: r.id, household_id: d.household_id, full_name: d.full_name, birth_year: d.birth_year, sex: d.sex, relation: d.relation };
    S.data.people.set(v.id, v);
    ops.push(['people', 'put', v]);
  }
}

// ---------------------------------------------------------------------------------------
// Sync

let running = null;
let again = false;

function say(key, ...args) {
  S.msg = key ? { key, args } : null;
  showMsg();
}

function expired() {
  S.auth = 'expired';
  say('expired');
}

/** What an error answer says, for the status line. */
async function why(res) {
  try {
    const e = await res.json();
    const m = e.message ?? e.error ?? e.detail;
    if (m) return `HTTP ${res.status} — ${typeof m === 'string' ? m : JSON.stringify(m)}`;
  } catch { /* not JSON */ }
  return `HTTP ${res.status}`;
}

async function fetchSession() {
  let res;
  try {
    res = await fetch('/api/v1/sync/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch {
    say('unreachable');
    return false;
  }
  if (res.status === 401) {
    if (S.session?.user) expired();
    else {
      S.auth = 'none';
      say('noSession');
    }
    return false;
  }
  if (!res.ok) {
    say('fail', await why(res));
    return false;
  }
  const s = await res.json();
  const same = S.session?.user === s.user;
  if (S.session?.user && !same) {
    // another person signs in on this phone: the previous person's data goes (their
    // records stay in the queue, marked as theirs, until they sign in again or discard them)
    const ops = [];
    for (const k of DATA) {
      S.data[k].clear();
      ops.push([k, 'clear']);
    }
    await write(ops);
  }
  S.session = {
    ...(same ? S.session : { cursor: null, registry: true, last_sync: null }),
    k: 'session', user: s.user, name: s.name, role: s.role, scope: s.scope ?? [], csrf: s.csrf, lang: s.lang ?? null,
  };
  setDay(s.day);
  S.auth = 'ok';
  await saveSession();
  if (!cookieLang() && !stored('vx-field-lang') && (s.lang === 'en' || s.lang === 'vi') && s.lang !== L) {
    L = s.lang;
    refresh(true);
  }
  chrome();
  return true;
}

/** One POST /api/v1/sync: pushes what is queued, pulls `pull`, applies the answer. */
async function post(cursor, pull) {
  const push = records().filter(mayPush).slice(0, 1000);
  const body = JSON.stringify({
    cursor: cursor ?? null,
    pull,
    push: push.map((r) => ({ client_id: r.client_id, kind: r.kind, made_at: r.made_at, data: r.data, base_version: r.base_version ?? null, base: r.base ?? null })),
  });
  let res;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch('/api/v1/sync', {
        method: 'POST', credentials: 'same-origin', body,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': S.session.csrf },
      });
    } catch {
      say('unreachable');
      return null;
    }
    // a CSRF token that no longer matches: ask for the session's token once, then again
    if (res.status === 403 && attempt === 0 && (await fetchSession())) continue;
    break;
  }
  if (res.status === 401) {
    expired();
    return null;
  }
  if (!res.ok) {
    say('fail', await why(res));
    return null;
  }
  const ans = await res.json();
  await apply(ans, pull);
  if (push.length === 1000) again = true;
  return ans;
}

async function apply(ans, pull) {
  const ops = [];
  let conflicts = 0;
  let refused = 0;
  for (const r of ans.results ?? []) {
    const rec = S.queue.get(r.client_id);
    if (!rec) continue;
    if (r.status === 'applied') {
      S.queue.delete(rec.client_id);
      ops.push(['queue', 'delete', rec.client_id]);
      applyLocal(rec, r, ops);
    } else if (r.status === 'conflict') {
      Object.assign(rec, { status: 'conflict', id: r.id, version: r.version, conflicts: r.conflicts ?? [], server: r.server ?? {} });
      ops.push(['queue', 'put', rec]);
      conflicts++;
    } else if (r.status === 'refused') {
      Object.assign(rec, { status: 'refused', reason: r.reason ?? '', reason_en: r.reason_en ?? '' });
      ops.push(['queue', 'put', rec]);
      refused++;
    }
  }
  const ch = ans.changes;
  if (ch) {
    // checks and visits come whole when `full`, else as what changed since the cursor; the
    // others come whole whenever they come (or, with `gone`, as changes and departures)
    const whole = (k) => ch.full || ((k !== 'checks' && k !== 'visits') && !ch.gone);
    for (const k of DATA) {
      if (!Array.isArray(ch[k])) continue;
      if (whole(k)) {
        S.data[k].clear();
        ops.push([k, 'clear']);
      }
      for (const v of ch[k]) {
        S.data[k].set(v[KEYS[k]], v);
        ops.push([k, 'put', v]);
      }
    }
    for (const [k, ids] of Object.entries(ch.gone ?? {})) {
      if (!S.data[k] || !Array.isArray(ids)) continue;
      for (const id of ids) {
        S.data[k].delete(id);
        ops.push([k, 'delete', id]);
      }
    }
  }
  const s = S.session;
  if (ans.cursor !== undefined) s.cursor = ans.cursor;
  // households and members to fetch: the server says they changed (or the scope did)
  if (pull === 'all') s.registry = false;
  else if (ch && (ch.registry_changed || (ch.full && !Array.isArray(ch.households)))) s.registry = true;
  setDay(ans.day);
  s.last_sync = new Date().toISOString();
  ops.push(['session', 'put', s]);
  await write(ops);
  S.auth = 'ok';
  if (conflicts || refused) say('problems', conflicts, refused);
  else if (S.msg && S.msg.key !== 'saved') say(null);
  refresh();
}

async function run() {
  if (!navigator.onLine) {
    say('offlineNote');
    return;
  }
  if (S.auth !== 'ok' && !(await fetchSession())) return;
  if (!(await post(S.session.cursor, 'today'))) return;
  if (S.session.registry || !S.data.households.size || !S.data.people.size) {
    // the scope's households and people, in the background of a usable screen
    await post(S.session.cursor, 'all');
  }
}

function sync() {
  if (running) {
    again = true;
    return running;
  }
  document.body.dataset.busy = '1';
  running = run().finally(() => {
    running = null;
    // for the browser tests: how many syncs ended, and whether one runs
    document.body.dataset.syncs = Number(document.body.dataset.syncs ?? 0) + 1;
    delete document.body.dataset.busy;
    bar();
    if (again) {
      again = false;
      sync();
    }
  });
  bar();
  return running;
}

// ---------------------------------------------------------------------------------------
// The frame: header, status bar, tabs

function chrome() {
  document.documentElement.lang = L;
  document.title = `${t('title')} — vungxanh`;
  $('skip').textContent = t('skip');
  $('who').textContent = S.session?.name ?? '';
  $('lang').textContent = t('langOther');
  $('lang').lang = L === 'vi' ? 'en' : 'vi';
  $('logout').textContent = t('logout');
  $('tabs').setAttribute('aria-label', t('screens'));
  $('bar').setAttribute('aria-label', t('syncArea'));
  for (const k of ['today', 'households', 'sampling', 'queue']) $(`t-${k}`).textContent = t(k);
  bar();
  showMsg();
}

function bar() {
  const on = navigator.onLine;
  $('net').textContent = on ? t('online') : t('offline');
  $('net').className = `net ${on ? 'on' : 'off'}`;
  const n = S.queue.size;
  $('count').textContent = t('count', n);
  $('count').dataset.n = n;
  const ls = S.session?.last_sync;
  $('last').textContent = t('last', !ls ? t('never') : localDay(new Date(ls)) === localDay() ? fmtAt(ls).slice(0, 5) : fmtAt(ls));
  $('sync').textContent = running ? t('syncing') : t('syncNow');
  $('sync').disabled = !!running;
  $('t-queue').textContent = n ? `${t('queue')} (${n})` : t('queue');
}

function showMsg() {
  const box = $('msg');
  const m = S.msg;
  box.className = m ? (['expired', 'noSession', 'fail', 'unreachable', 'problems'].includes(m.key) ? 'warn' : 'info') : '';
  box.replaceChildren();
  if (!m) return;
  box.append(h('span', {}, t(m.key, ...m.args)));
  if (m.key === 'expired' || m.key === 'noSession') box.append(' ', h('a', { href: LOGIN, class: 'button' }, t('signIn')));
}

/** Redraws the frame, and the screen unless the user is typing in it (or when forced). */
function refresh(force) {
  chrome();
  if (force || !dirty) draw();
}

// ---------------------------------------------------------------------------------------
// Lookups with the queue laid over the pulled data (records show before they are synced)

const person = (id) => S.data.people.get(id);
const hhName = (hh) => (hh ? `${hh.code} — ${hh.head_name ?? ''}` : '');
// open quarantines as the server lists them (one past its end stays until it is released)
const activeQuarantines = (day) => [...S.data.quarantines.values()].filter((q) => q.start <= day);

function serverCheck(contactId, day) {
  for (const c of S.data.checks.values()) if (c.contact_id === contactId && c.day === day) return c;
  return null;
}
function queuedCheck(contactId, day) {
  return records('check').filter((r) => r.data.contact_id === contactId && r.data.day === day).pop() ?? null;
}

function badge(rec) {
  const cls = { queued: 'pend', conflict: 'bad', refused: 'bad' }[rec.status] ?? 'pend';
  return h('span', { class: `badge ${cls}` }, rec.status === 'queued' ? t('pending') : t(`st_${rec.status}`));
}

function checkText(c) {
  return [temp(c.temperature), c.symptoms ? c.symptoms : t('noSymptoms'), c.present ? t('isPresent') : t('isAbsent')].join(' · ');
}

function membersOf(hid) {
  const list = [...S.data.people.values()].filter((p) => p.household_id === hid);
  const rel = ['head', 'spouse', 'parent', 'child', 'grandchild', 'sibling', 'other'];
  return list.sort((a, b) => rel.indexOf(a.relation) - rel.indexOf(b.relation) || (a.birth_year ?? 0) - (b.birth_year ?? 0));
}

/** The people an open round still has to sample, less those in samples waiting to sync. */
function toSample(round, except) {
  const taken = new Set(records('sample').filter((r) => r.data.round_id === round.id && r.client_id !== except).flatMap((r) => r.data.members));
  return (round.to_sample ?? []).filter((p) => !taken.has(p));
}

function programmesFor(hid) {
  const queued = new Set(records('aid').map((r) => `${r.data.programme_id}:${r.data.household_id}`));
  return [...S.data.programmes.values()].map((p) => ({
    p, eligible: (p.households ?? []).includes(hid), queued: queued.has(`${p.id}:${hid}`),
  })).filter((x) => x.eligible || x.queued);
}

// ---------------------------------------------------------------------------------------
// Screens

const ROUTES = [
  [/^\/today$/, viewToday],
  [/^\/households$/, viewHouseholds],
  [/^\/h\/(\d+)$/, viewHousehold],
  [/^\/check\/(\d+)$/, formCheck],
  [/^\/visit\/(\d+)$/, formVisit],
  [/^\/aid\/(\d+)\/(\d+)$/, formAid],
  [/^\/person\/(\d+)$/, formPerson],
  [/^\/sampling(?:\/(\d+))?$/, viewSampling],
  [/^\/queue$/, viewQueue],
];
let shownRoute = null;

function route() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/today';
  const [path, qs] = raw.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(qs ?? '')) };
}

function draw() {
  const { path, query } = route();
  let nodes = null;
  for (const [re, view] of ROUTES) {
    const m = re.exec(path);
    if (m) {
      nodes = view(...m.slice(1).map((x) => (x == null ? null : Number(x))), query);
      break;
    }
  }
  nodes ??= viewToday();
  const el = main();
  el.replaceChildren(...[nodes].flat(Infinity).filter(Boolean));
  dirty = false;
  const tab = path.startsWith('/h') || path.startsWith('/visit') || path.startsWith('/aid') || path.startsWith('/person') ? 'households'
    : path.startsWith('/sampling') ? 'sampling' : path.startsWith('/queue') ? 'queue' : 'today';
  for (const k of ['today', 'households', 'sampling', 'queue']) {
    if (k === tab) $(`t-${k}`).setAttribute('aria-current', 'page');
    else $(`t-${k}`).removeAttribute('aria-current');
  }
  const key = location.hash;
  if (shownRoute !== null && shownRoute !== key) el.querySelector('h1')?.focus();
  shownRoute = key;
}

const heading = (text) => h('h1', { tabindex: '-1' }, text);
const notFound = () => [heading(t('notFound')), h('p', {}, h('a', { href: '#/today' }, t('back')))];

function viewToday() {
  const day = today();
  const out = [heading(t('todayTitle')), h('p', { class: 'muted' }, t('workDay', fmtDay(day)))];
  if (!S.session?.last_sync && !S.data.quarantines.size) out.push(h('p', {}, t('noData')));
  const qs = activeQuarantines(day).sort((a, b) => (S.data.households.get(a.household_id)?.code ?? '').localeCompare(S.data.households.get(b.household_id)?.code ?? '') || a.contact_id - b.contact_id);
  out.push(h('h2', {}, t('checks')));
  if (!qs.length) out.push(h('p', {}, t('noQuar')));
  else {
    out.push(h('ul', { class: 'cards', id: 'quarantines' }, qs.map((q) => {
      const p = person(q.person_id);
      const hh = S.data.households.get(q.household_id);
      const rec = queuedCheck(q.contact_id, day);
      const c = rec?.data ?? serverCheck(q.contact_id, day);
      const length = dayNum(q.end) - dayNum(q.start) + 1;
      return h('li', { class: 'card', 'data-contact': q.contact_id, 'data-household': q.household_id },
        h('p', { class: 'name' }, h('b', {}, p?.full_name ?? `#${q.person_id}`), ' ', h('span', { class: 'badge lvl' }, (q.level ?? '').toUpperCase())),
        h('p', { class: 'muted' }, [hhName(hh), t('quarDay', dayNum(day) - dayNum(q.start) + 1, length), t(`place_${q.place}`)].filter(Boolean).join(' · ')),
        h('p', { class: 'chk' }, c ? checkText(c) : t('notChecked'), rec ? [' ', badge(rec)] : null),
        h('a', { class: 'button', href: `#/check/${q.contact_id}` }, c ? t('edit') : t('check'), h('span', { class: 'sr' }, `: ${p?.full_name ?? ''}`)));
    })));
  }
  out.push(h('h2', {}, t('testsDue')));
  const due = [...S.data.quarantines.values()].filter((q) => (q.test_days ?? []).includes(day));
  if (!due.length) out.push(h('p', {}, t('noTests')));
  else {
    out.push(h('ul', { class: 'plain', id: 'tests' }, due.map((q) => {
      const p = person(q.person_id);
      return h('li', {}, h('b', {}, p?.full_name ?? `#${q.person_id}`), ` · ${(q.level ?? '').toUpperCase()} · `,
        t('testDay', dayNum(day) - dayNum(q.start) + 1), ' · ', h('a', { href: `#/h/${q.household_id}` }, S.data.households.get(q.household_id)?.code ?? t('households')));
    })));
  }
  return out;
}

let hhQuery = '';
function viewHouseholds() {
  const all = [...S.data.households.values()].sort((a, b) => a.code.localeCompare(b.code));
  const list = h('ul', { class: 'rows', id: 'hh-list' });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const pend = new Map();
  for (const r of S.queue.values()) if (r.data?.household_id != null) pend.set(r.data.household_id, r);
  const fill = () => {
    const q = fold(hhQuery.trim());
    const hits = q ? all.filter((x) => fold(`${x.code} ${x.head_name} ${x.address ?? ''}`).includes(q)) : all;
    const shown = hits.slice(0, 100);
    list.replaceChildren(...shown.map((x) => h('li', { 'data-household': x.id },
      h('a', { href: `#/h/${x.id}` }, h('b', {}, x.code), ` — ${x.head_name ?? ''}`),
      pend.has(x.id) ? [' ', badge(pend.get(x.id))] : null,
      h('span', { class: 'muted block' }, x.address ?? ''))));
    count.textContent = t('shown', shown.length, all.length);
  };
  fill();
  const search = h('input', {
    type: 'search', id: 'hh-search', value: hhQuery, autocomplete: 'off',
    oninput: (e) => { hhQuery = e.target.value; fill(); },
  });
  return [heading(t('hhTitle')),
    all.length ? [h('div', { class: 'field' }, h('label', { for: 'hh-search' }, t('search')), search), count, list]
      : h('p', {}, t('noHouseholds'))];
}

function viewHousehold(id) {
  const hh = S.data.households.get(id);
  if (!hh) return notFound();
  const day = today();
  const members = membersOf(id);
  const quar = new Map(activeQuarantines(day).map((q) => [q.person_id, q]));
  const newPeople = records('person').filter((r) => r.data.household_id === id);
  const out = [heading(t('household', hh.code)),
    h('p', {}, t('head', hh.head_name ?? ''), h('br', {}), h('span', { class: 'muted' }, hh.address ?? ''))];

  out.push(h('h2', {}, t('actions')));
  const acts = h('div', { class: 'actions' }, h('a', { class: 'button', href: `#/visit/${id}` }, t('visit')));
  for (const { p, eligible, queued } of programmesFor(id)) {
    if (queued) acts.append(h('span', { class: 'done' }, `${p.name}: ${t('aidDone')} `, badge(records('aid').find((r) => r.data.programme_id === p.id && r.data.household_id === id))));
    else if (eligible) acts.append(h('a', { class: 'button', href: `#/aid/${p.id}/${id}` }, t('aidTo', p.name)));
  }
  acts.append(h('a', { class: 'button secondary', href: `#/person/${id}` }, t('newPerson')));
  const ids = new Set(members.map((m) => m.id));
  for (const r of S.data.rounds.values()) {
    const n = toSample(r).filter((p) => ids.has(p)).length;
    if (n) acts.append(h('a', { class: 'button secondary', href: `#/sampling/${r.id}?h=${id}` }, t('sampleHere', n)));
  }
  out.push(acts);

  out.push(h('h2', {}, t('members')));
  out.push(h('ul', { class: 'rows', id: 'members' },
    members.map((m) => {
      const q = quar.get(m.id);
      return h('li', { 'data-person': m.id }, h('b', {}, m.full_name), ` · ${m.birth_year ?? ''} · ${t(`sex_${m.sex}`)} · ${t(`rel_${m.relation}`)}`,
        q ? [' · ', h('a', { href: `#/check/${q.contact_id}` }, t('inQuar', (q.level ?? '').toUpperCase()))] : null);
    }),
    newPeople.map((r) => h('li', {}, h('b', {}, r.data.full_name), ` · ${r.data.birth_year} · ${t(`sex_${r.data.sex}`)} · ${t(`rel_${r.data.relation}`)} `, badge(r)))));

  out.push(h('h2', {}, t('visits')));
  const visits = [
    ...records('visit').filter((r) => r.data.household_id === id).map((r) => ({ ...r.data, rec: r })),
    ...[...S.data.visits.values()].filter((v) => v.household_id === id).sort((a, b) => b.day.localeCompare(a.day) || b.id - a.id),
  ];
  out.push(visits.length ? h('ul', { class: 'rows', id: 'visits' }, visits.map((v) => h('li', {},
    `${fmtDay(v.day)} · ${t(`out_${v.outcome}`)}`, v.note ? ` · ${v.note}` : '', v.by ? h('span', { class: 'muted' }, ` · ${v.by}`) : '',
    v.rec ? [' ', badge(v.rec)] : null))) : h('p', {}, t('noVisits')));
  return out;
}

// --- forms

/** A labelled input with room for its error. */
function field(id, label, input, hint) {
  input.id = id;
  const err = h('p', { class: 'error', id: `${id}-err`, hidden: true });
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null, input, err);
}
function radios(name, legend, options, chosen) {
  return h('fieldset', { class: 'field radios', id: `${name}-set` }, h('legend', {}, legend),
    options.map(([v, label]) => h('label', { class: 'opt' }, h('input', { type: 'radio', name, value: v, checked: v === chosen }), ' ', label)),
    h('p', { class: 'error', id: `${name}-err`, hidden: true }));
}
/** Shows the errors ({input id: message}); answers whether there were none. */
function showErrors(form, errors) {
  for (const el of form.querySelectorAll('.error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  let first = null;
  for (const [id, msg] of Object.entries(errors)) {
    const box = form.querySelector(`#${id}-err`);
    if (box) {
      box.textContent = msg;
      box.hidden = false;
    }
    const input = form.querySelector(`#${id}`) ?? form.querySelector(`[name="${id}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      const d = input.getAttribute('aria-describedby') ?? '';
      if (!d.includes(`${id}-err`)) input.setAttribute('aria-describedby', `${d} ${id}-err`.trim());
      first ??= input;
    }
  }
  first?.focus();
  return !first && !Object.keys(errors).length;
}
function form(id, onSave, back, ...fields) {
  const f = h('form', { class: 'edit', id, novalidate: true },
    fields,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('save')), h('a', { class: 'button secondary', href: back }, t('cancel'))));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (await onSave(f)) {
      dirty = false;
      if (location.hash === back) draw();
      else location.hash = back;
    }
  });
  return f;
}
const val = (f, name) => (f.elements[name]?.value ?? '').trim();
const editing = (query, kind) => {
  const r = query?.e ? S.queue.get(query.e) : null;
  return r && r.kind === kind ? r : null;
};

function formCheck(contactId, query) {
  const q = S.data.quarantines.get(contactId);
  const edit = editing(query, 'check');
  const day = edit?.data.day ?? today();
  const cid = edit?.data.contact_id ?? contactId;
  if (!q && !edit) return notFound();
  const prev = edit ?? queuedCheck(cid, day);
  const server = serverCheck(cid, day);
  let base = null;
  let baseVersion = null;
  if (prev?.status === 'conflict') {
    base = prev.server;
    baseVersion = prev.version;
  } else if (prev) {
    base = prev.base;
    baseVersion = prev.base_version;
  } else if (server) {
    base = { temperature: server.temperature, symptoms: server.symptoms, present: server.present };
    baseVersion = server.version;
  }
  const cur = prev?.data ?? server ?? { temperature: null, symptoms: '', present: true };
  const p = q ? person(q.person_id) : null;
  const name = p?.full_name ?? edit?.label ?? `#${cid}`;
  const tempText = cur.temperature == null ? '' : L === 'vi' ? String(cur.temperature).replace('.', ',') : String(cur.temperature);
  return [heading(t('checks')), h('p', {}, h('b', {}, name), ` · ${t('day', fmtDay(day))}`),
    form('check-form', async (f) => {
      const raw = val(f, 'temperature').replace(',', '.');
      const temperature = raw === '' ? null : Number(raw);
      const symptoms = val(f, 'symptoms');
      const errors = {};
      if (temperature != null && !(temperature >= 34 && temperature <= 43)) errors.temperature = t('badTemp');
      if (symptoms.length > 200) errors.symptoms = t('tooLong');
      if (!showErrors(f, errors)) return false;
      const data = { contact_id: cid, day, temperature: temperature == null ? null : Math.round(temperature * 10) / 10, symptoms, present: f.elements.present.checked };
      await enqueue('check', data, name, base, baseVersion, prev?.client_id);
      return true;
    }, '#/today',
    field('temperature', t('temperature'), h('input', { type: 'text', name: 'temperature', inputmode: 'decimal', autocomplete: 'off', value: tempText }), t('tempHint')),
    field('symptoms', t('symptoms'), h('input', { type: 'text', name: 'symptoms', maxlength: 200, autocomplete: 'off', value: cur.symptoms ?? '' }), t('symptomsHint')),
    h('div', { class: 'field check' }, h('input', { type: 'checkbox', name: 'present', id: 'present', checked: cur.present !== false }), ' ', h('label', { for: 'present' }, t('present'))))];
}

function formVisit(hid, query) {
  const edit = editing(query, 'visit');
  const id = edit?.data.household_id ?? hid;
  const hh = S.data.households.get(id);
  if (!hh && !edit) return notFound();
  const day = edit?.data.day ?? today();
  const label = hh ? hhName(hh) : edit.label;
  const back = hh ? `#/h/${id}` : '#/queue';
  return [heading(t('visit')), h('p', {}, h('b', {}, label), ` · ${t('day', fmtDay(day))}`),
    form('visit-form', async (f) => {
      const outcome = f.elements.outcome.value;
      const note = val(f, 'note');
      const errors = {};
      if (!outcome) errors.outcome = t('required');
      if (note.length > 500) errors.note = t('tooLong');
      if (!showErrors(f, errors)) return false;
      await enqueue('visit', { household_id: id, day, outcome, note }, label, null, null, edit?.client_id);
      return true;
    }, back,
    radios('outcome', t('outcome'), ['met', 'absent', 'refused'].map((o) => [o, t(`out_${o}`)]), edit?.data.outcome ?? 'met'),
    field('note', t('note'), h('textarea', { name: 'note', rows: 3, maxlength: 500, value: edit?.data.note ?? '' })))];
}

function formAid(pid, hid, query) {
  const edit = editing(query, 'aid');
  const programmeId = edit?.data.programme_id ?? pid;
  const id = edit?.data.household_id ?? hid;
  const p = S.data.programmes.get(programmeId);
  const hh = S.data.households.get(id);
  if ((!p || !hh) && !edit) return notFound();
  const day = edit?.data.day ?? today();
  const label = p && hh ? `${p.name} → ${hh.code} — ${hh.head_name ?? ''}` : edit.label;
  return [heading(t('aid')), h('p', {}, h('b', {}, label), ` · ${t('day', fmtDay(day))}`),
    p?.goods ? h('p', { class: 'muted' }, t('goods', p.goods)) : null,
    form('aid-form', async (f) => {
      const receipt = val(f, 'receipt');
      if (!showErrors(f, receipt ? (receipt.length > 64 ? { receipt: t('tooLong') } : {}) : { receipt: t('required') })) return false;
      await enqueue('aid', { programme_id: programmeId, household_id: id, day, receipt }, label, null, null, edit?.client_id);
      return true;
    }, hh ? `#/h/${id}` : '#/queue',
    field('receipt', t('receipt'), h('input', { type: 'text', name: 'receipt', autocomplete: 'off', value: edit?.data.receipt ?? '' })))];
}

function formPerson(hid, query) {
  const edit = editing(query, 'person');
  const id = edit?.data.household_id ?? hid;
  const hh = S.data.households.get(id);
  if (!hh && !edit) return notFound();
  const d = edit?.data ?? {};
  const year = Number(today().slice(0, 4));
  return [heading(t('newPerson')), h('p', {}, h('b', {}, hh ? hhName(hh) : edit.label)),
    form('person-form', async (f) => {
      const fullName = val(f, 'full_name');
      const by = val(f, 'birth_year');
      const errors = {};
      if (!fullName) errors.full_name = t('required');
      else if (fullName.length > 100) errors.full_name = t('tooLong');
      if (!/^\d{4}$/.test(by) || +by < 1900 || +by > year) errors.birth_year = t('badYear');
      if (!f.elements.sex.value) errors.sex = t('required');
      if (!showErrors(f, errors)) return false;
      const data = { household_id: id, full_name: fullName, birth_year: +by, sex: f.elements.sex.value, relation: f.elements.relation.value };
      await enqueue('person', data, `${fullName} → ${hh?.code ?? edit.label}`, null, null, edit?.client_id);
      return true;
    }, hh ? `#/h/${id}` : '#/queue',
    field('full_name', t('fullName'), h('input', { type: 'text', name: 'full_name', autocomplete: 'off', maxlength: 100, value: d.full_name ?? '' })),
    field('birth_year', t('birthYear'), h('input', { type: 'text', name: 'birth_year', inputmode: 'numeric', maxlength: 4, autocomplete: 'off', value: d.birth_year ?? '' })),
    radios('sex', t('sex'), [['male', t('sex_male')], ['female', t('sex_female')]], d.sex),
    field('relation', t('relation'), h('select', { name: 'relation' },
      ['head', 'spouse', 'child', 'parent', 'grandchild', 'sibling', 'other'].map((r) => h('option', { value: r, selected: r === (d.relation ?? 'child') }, t(`rel_${r}`))))))];
}

const roundName = (r) => `${r.name} — ${t('roundNo', r.number ?? '')} · ${fmtDay(r.start)}${r.end && r.end !== r.start ? `–${fmtDay(r.end)}` : ''}`;
let sampleFilter = '';
function viewSampling(roundId, query) {
  const edit = editing(query, 'sample');
  const rounds = [...S.data.rounds.values()].sort((a, b) => (b.start ?? '').localeCompare(a.start ?? ''));
  const out = [heading(t('samplingTitle'))];
  if (!rounds.length && !edit) return [...out, h('p', {}, t('noRounds'))];
  const rid = edit?.data.round_id ?? roundId ?? rounds[0]?.id;
  const round = S.data.rounds.get(rid);
  if (!round) return [...out, h('p', {}, t('noRounds'))];
  if (query.h && S.data.households.get(Number(query.h))) sampleFilter = S.data.households.get(Number(query.h)).code;
  const picks = new Set(edit?.data.members ?? []);
  const left = toSample(round, edit?.client_id);
  const byHousehold = new Map();
  for (const pid of left) {
    const p = person(pid);
    const k = p?.household_id ?? 0;
    if (!byHousehold.has(k)) byHousehold.set(k, []);
    byHousehold.get(k).push(pid);
  }
  const groups = [...byHousehold.entries()].map(([hid, ids]) => ({ hh: S.data.households.get(hid), hid, ids }))
    .sort((a, b) => (a.hh?.code ?? '~').localeCompare(b.hh?.code ?? '~'));
  const chosen = h('p', { class: 'count', 'aria-live': 'polite', id: 'chosen' });
  const list = h('div', { id: 'to-sample' });
  const tick = () => {
    chosen.textContent = t('chosen', picks.size);
  };
  const fill = () => {
    const q = fold(sampleFilter.trim());
    const hit = (g) => !q || fold(`${g.hh?.code ?? ''} ${g.hh?.head_name ?? ''} ${g.ids.map((i) => person(i)?.full_name ?? '').join(' ')}`).includes(q) || g.ids.some((i) => picks.has(i));
    const shown = groups.filter(hit);
    list.replaceChildren(
      ...shown.slice(0, 20).map((g) => h('fieldset', { class: 'hh', 'data-household': g.hid },
        h('legend', {}, g.hh ? hhName(g.hh) : '—'),
        g.ids.map((pid) => {
          const p = person(pid);
          return h('label', { class: 'opt' }, h('input', {
            type: 'checkbox', name: 'member', value: pid, checked: picks.has(pid),
            onchange: (e) => { if (e.target.checked) picks.add(pid); else picks.delete(pid); tick(); },
          }), ' ', p ? `${p.full_name} (${p.birth_year ?? '?'})` : `#${pid}`);
        }))),
      shown.length > 20 ? h('p', { class: 'muted' }, t('moreHouseholds', shown.length - 20)) : null,
      !groups.length ? h('p', {}, t('allSampled')) : null);
  };
  fill();
  tick();
  if (rounds.length > 1) {
    out.push(field('round', t('round'), h('select', { name: 'round', onchange: (e) => { location.hash = `#/sampling/${e.target.value}`; } },
      rounds.map((r) => h('option', { value: r.id, selected: r.id === rid }, roundName(r))))));
  } else out.push(h('p', {}, h('b', {}, roundName(round))));
  const back = `#/sampling/${rid}`;
  out.push(form('sample-form', async (f) => {
    const code = val(f, 'code');
    const laboratory = val(f, 'laboratory');
    const errors = {};
    if (!/^[A-Za-z0-9-]{4,32}$/.test(code)) errors.code = t('badCode');
    if (!laboratory) errors.laboratory = t('required');
    if (picks.size < 1 || picks.size > 10) errors.chosen = t('badMembers');
    if (!showErrors(f, errors)) {
      if (errors.chosen && !errors.code && !errors.laboratory) f.querySelector('#to-sample input')?.focus();
      return false;
    }
    stored('vx-field-lab', laboratory);
    const members = [...picks];
    await enqueue('sample', { round_id: rid, code, members, laboratory, taken_at: stamp() }, `${code} · ${t('people', members.length)}`, null, null, edit?.client_id);
    sampleFilter = '';
    return true;
  }, back,
  field('code', t('pool'), h('input', { type: 'text', name: 'code', autocomplete: 'off', autocapitalize: 'characters', maxlength: 32, value: edit?.data.code ?? '' }), t('poolHint')),
  field('laboratory', t('lab'), h('input', { type: 'text', name: 'laboratory', autocomplete: 'off', value: edit?.data.laboratory ?? stored('vx-field-lab') ?? '' })),
  h('h2', {}, t('toSample')),
  field('filter', t('filter'), h('input', { type: 'search', name: 'filter', autocomplete: 'off', value: sampleFilter, oninput: (e) => { sampleFilter = e.target.value; fill(); } })),
  chosen, h('p', { class: 'error', id: 'chosen-err', hidden: true }), list));
  const mine = records('sample').filter((r) => r.data.round_id === rid && r.client_id !== edit?.client_id);
  if (mine.length) {
    out.push(h('h2', {}, t('takenHere')), h('ul', { class: 'rows' }, mine.map((r) => h('li', {}, h('b', {}, r.data.code), ': ',
      r.data.members.map((i) => person(i)?.full_name ?? `#${i}`).join(', '), ' ', badge(r)))));
  }
  return out;
}

// --- the queue

const showValue = (field, v) => (field === 'temperature' ? temp(v) : field === 'present' ? (v ? t('isPresent') : t('isAbsent')) : v === '' || v == null ? t('none') : String(v));

function summary(r) {
  const d = r.data;
  switch (r.kind) {
    case 'check': return `${fmtDay(d.day)} · ${checkText(d)}`;
    case 'visit': return `${fmtDay(d.day)} · ${t(`out_${d.outcome}`)}${d.note ? ` · ${d.note}` : ''}`;
    case 'sample': return `${d.laboratory} · ${d.members.map((i) => person(i)?.full_name ?? `#${i}`).join(', ')}`;
    case 'aid': return `${fmtDay(d.day)} · ${t('receipt')}: ${d.receipt}`;
    case 'person': return `${d.birth_year} · ${t(`sex_${d.sex}`)} · ${t(`rel_${d.relation}`)}`;
    default: return '';
  }
}

function editHref(r) {
  const d = r.data;
  const e = `?e=${r.client_id}`;
  switch (r.kind) {
    case 'check': return `#/check/${d.contact_id}${e}`;
    case 'visit': return `#/visit/${d.household_id}${e}`;
    case 'aid': return `#/aid/${d.programme_id}/${d.household_id}${e}`;
    case 'person': return `#/person/${d.household_id}${e}`;
    case 'sample': return `#/sampling/${d.round_id}${e}`;
    default: return '#/queue';
  }
}

function discardButton(r) {
  const box = h('span', { class: 'actions' });
  const ask = () => box.replaceChildren(h('p', { class: 'q' }, t('discardQ')),
    h('button', { type: 'button', class: 'danger', onclick: () => discard(r.client_id) }, t('discardYes')),
    h('button', { type: 'button', class: 'secondary', onclick: () => { box.replaceWith(discardButton(r)); } }, t('no')));
  box.append(h('button', { type: 'button', class: 'danger discard', onclick: ask }, t('discard')));
  return box;
}

function conflictForm(r) {
  const f = h('form', { class: 'edit conflict', novalidate: true },
    h('p', {}, t('conflictHelp')),
    (r.conflicts ?? []).map((c) => h('fieldset', { class: 'field radios', 'data-field': c.field },
      h('legend', {}, t(`f_${c.field}`)),
      h('label', { class: 'opt' }, h('input', { type: 'radio', name: `pick-${c.field}`, value: 'mine', checked: true }), ' ', t('mine', showValue(c.field, c.yours))),
      h('label', { class: 'opt' }, h('input', { type: 'radio', name: `pick-${c.field}`, value: 'theirs' }), ' ', t('theirs', showValue(c.field, c.theirs), c.by ?? '?', fmtAt(c.at))))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('resend'))));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = { ...r.data };
    for (const c of r.conflicts ?? []) if (f.elements[`pick-${c.field}`].value === 'theirs') data[c.field] = c.theirs;
    // the settled record: new client_id, based on the version and values the conflict named
    await enqueue(r.kind, data, r.label, r.server ?? null, r.version ?? null, r.client_id);
    refresh(true);
  });
  return f;
}

function viewQueue() {
  const all = records();
  const out = [heading(t('queueTitle'))];
  if (!all.length) return [...out, h('p', {}, t('queueEmpty'))];
  out.push(h('ul', { class: 'cards', id: 'queue-list' }, all.map((r) => h('li', { class: `card ${r.status}`, 'data-client-id': r.client_id, 'data-kind': r.kind, 'data-status': r.status },
    h('p', { class: 'name' }, h('b', {}, t(`k_${r.kind}`)), ' ', h('span', { class: `badge ${r.status === 'queued' ? 'pend' : 'bad'}` }, t(`st_${r.status}`))),
    h('p', {}, r.label ?? ''),
    h('p', { class: 'muted' }, summary(r)),
    h('p', { class: 'muted' }, t('made', fmtAt(r.made_at))),
    r.user && S.session?.user && r.user !== S.session.user ? h('p', { class: 'warn' }, t('otherUser', r.user)) : null,
    r.status === 'refused' ? h('p', { class: 'reason' }, t('reason', (L === 'en' && r.reason_en) || r.reason || '')) : null,
    r.status === 'conflict' ? conflictForm(r) : null,
    r.status !== 'conflict' ? h('div', { class: 'actions' },
      r.status === 'refused' ? h('a', { class: 'button secondary edit-rec', href: editHref(r) }, t('edit')) : null,
      discardButton(r)) : null))));
  return out;
}

// ---------------------------------------------------------------------------------------
// Language, sign-out, start

function toggleLang() {
  L = L === 'vi' ? 'en' : 'vi';
  stored('vx-field-lang', L);
  // the rest of the site keeps its language in a cookie it sets itself from ?lang=
  if (navigator.onLine) fetch(`/healthz?lang=${L}`, { credentials: 'same-origin' }).catch(() => {});
  refresh(true);
}

let timer = null;
async function logout(confirmed) {
  const n = S.queue.size;
  if (n && !confirmed) {
    say(null);
    const box = $('msg');
    box.className = 'warn';
    box.replaceChildren(h('span', {}, t('logoutQ', n)), ' ',
      h('button', { type: 'button', class: 'danger', id: 'logout-yes', onclick: () => logout(true) }, t('logoutYes')), ' ',
      h('button', { type: 'button', class: 'secondary', onclick: () => say(null) }, t('no')));
    $('logout-yes').focus();
    return;
  }
  const csrf = S.session?.csrf;
  clearInterval(timer);
  if (db) db.close();
  db = null;
  await new Promise((ok) => {
    const r = indexedDB.deleteDatabase(DB_NAME);
    r.onsuccess = r.onerror = () => ok();
    r.onblocked = () => setTimeout(ok, 3000);
  });
  try {
    for (const k of await caches.keys()) if (!k.startsWith('vx-field-shell-')) await caches.delete(k);
  } catch { /* no Cache API */ }
  if (csrf) {
    try {
      await fetch('/logout', { method: 'POST', credentials: 'same-origin', body: new URLSearchParams({ csrf }), redirect: 'manual' });
    } catch { /* offline: the session ends when it expires or is revoked */ }
  }
  location.assign('/login');
}

async function start() {
  $('lang').addEventListener('click', toggleLang);
  $('logout').addEventListener('click', () => logout(false));
  $('sync').addEventListener('click', () => sync());
  $('skip').addEventListener('click', (e) => {
    e.preventDefault();
    main().focus();
  });
  main().addEventListener('input', () => { dirty = true; });
  window.addEventListener('hashchange', () => draw());
  window.addEventListener('online', () => { bar(); sync(); });
  window.addEventListener('offline', () => { bar(); say('offlineNote'); });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && navigator.onLine) sync(); });
  try {
    db = await idbOpen();
    await loadAll();
  } catch (e) {
    console.warn('IndexedDB unavailable: nothing is kept offline', e);
  }
  if (S.session?.lang && !cookieLang() && !stored('vx-field-lang')) L = S.session.lang;
  S.auth = S.session?.csrf ? 'ok' : 'unknown';
  refresh(true);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).catch((e) => console.warn('service worker', e));
  }
  if (navigator.onLine) {
    // who is signed in now (the cookie may belong to someone else, or be gone), then sync
    if (await fetchSession()) sync();
  } else say('offlineNote');
  timer = setInterval(() => { if (navigator.onLine) sync(); }, EVERY);
}

start();
