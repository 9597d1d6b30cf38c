// BoxEdit: resize a rectangle by its edges or corners, or move it by its inside, keeping it
// axis-aligned (ol/interaction/Modify would move single vertices and break the box).
import PointerInteraction from 'ol/interaction/Pointer.js';
import {fromExtent} from 'ol/geom/Polygon.js';
import {primaryAction} from 'ol/events/condition.js';

const TOLERANCE = 8; // px
const CURSORS = {
  l: 'ew-resize', r: 'ew-resize', t: 'ns-resize', b: 'ns-resize',
  lt: 'nwse-resize', rb: 'nwse-resize', rt: 'nesw-resize', lb: 'nesw-resize', move: 'move',
};

export default class BoxEdit extends PointerInteraction {
  /**
   * @param {{getFeature: function(): (import('ol/Feature.js').default|null), onEnd: function(): void}} options
   */
  constructor(options) {
    super();
    this.getFeature_ = options.getFeature;
    this.onEnd_ = options.onEnd;
    this.grab_ = null;
    this.start_ = null;
    this.startExtent_ = null;
    this.cursorSet_ = false;
  }

  hit_(evt) {
    const f = this.getFeature_();
    if (!f) {
      return null;
    }
    const map = evt.map;
    const [minx, miny, maxx, maxy] = f.getGeometry().getExtent();
    const a = map.getPixelFromCoordinate([minx, maxy]);
    const b = map.getPixelFromCoordinate([maxx, miny]);
    if (!a || !b) {
      return null;
    }
    const [x, y] = evt.pixel;
    const inX = x > a[0] - TOLERANCE && x < b[0] + TOLERANCE;
    const inY = y > a[1] - TOLERANCE && y < b[1] + TOLERANCE;
    if (!inX || !inY) {
      return null;
    }
    let h = '';
    if (Math.abs(x - a[0]) <= TOLERANCE) {
      h += 'l';
    } else if (Math.abs(x - b[0]) <= TOLERANCE) {
      h += 'r';
    }
    if (Math.abs(y - a[1]) <= TOLERANCE) {
      h += 't';
    } else if (Math.abs(y - b[1]) <= TOLERANCE) {
      h += 'b';
    }
    return h || 'move';
  }

  handleDownEvent(evt) {
    if (!primaryAction(evt)) {
      return false;
    }
    const grab = this.hit_(evt);
    if (!grab) {
      return false;
    }
    this.grab_ = grab;
    this.start_ = evt.coordinate;
    this.startExtent_ = this.getFeature_().getGeometry().getExtent().slice();
    return true;
  }

  handleDragEvent(evt) {
    const f = this.getFeature_();
    if (!f || !this.grab_) {
      return;
    }
    let [minx, miny, maxx, maxy] = this.startExtent_;
    const [x, y] = evt.coordinate;
    const g = this.grab_;
    if (g === 'move') {
      const dx = x - this.start_[0];
      const dy = y - this.start_[1];
      minx += dx;
      maxx += dx;
      miny += dy;
      maxy += dy;
    } else {
      if (g.includes('l')) {
        minx = x;
      }
      if (g.includes('r')) {
        maxx = x;
      }
      if (g.includes('t')) {
        maxy = y;
      }
      if (g.includes('b')) {
        miny = y;
      }
    }
    const e = [Math.min(minx, maxx), Math.min(miny, maxy), Math.max(minx, maxx), Math.max(miny, maxy)];
    if (e[2] - e[0] > 0 && e[3] - e[1] > 0) {
      f.setGeometry(fromExtent(e));
    }
  }

  handleUpEvent() {
    if (this.grab_) {
      this.grab_ = null;
      this.onEnd_();
    }
    return false;
  }

  handleMoveEvent(evt) {
    const el = evt.map.getViewport();
    const grab = this.getActive() ? this.hit_(evt) : null;
    if (grab) {
      el.style.cursor = CURSORS[grab];
      this.cursorSet_ = true;
    } else if (this.cursorSet_) {
      el.style.cursor = '';
      this.cursorSet_ = false;
    }
  }

  setActive(active) {
    if (!active && this.cursorSet_ && this.getMap()) {
      this.getMap().getViewport().style.cursor = '';
      this.cursorSet_ = false;
    }
    super.setActive(active);
  }
}
