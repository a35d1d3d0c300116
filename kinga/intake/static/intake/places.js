// Ward and sub-county choices follow the county. Without scripts the lists are grouped
// (sub-counties under their county, wards under "county / sub-county") and any choice is
// taken; with them, only the groups of the county (and sub-county) chosen are shown. A
// choice left in a hidden group is cleared, so what is sent adds up.
(function () {
  "use strict";
  var county = document.getElementById("id_county");
  var subCounty = document.getElementById("id_sub_county");
  var ward = document.getElementById("id_ward");
  if (!county || !subCounty || !ward) {
    return;
  }

  function chosenName(select) {
    var option = select.options[select.selectedIndex];
    return option && option.value ? option.text : "";
  }

  function keepGroups(select, keep) {
    var groups = select.getElementsByTagName("optgroup");
    var chosen = select.options[select.selectedIndex];
    Array.prototype.forEach.call(groups, function (group) {
      var shown = keep(group.label);
      group.hidden = !shown;
      group.disabled = !shown;
      if (!shown && chosen && chosen.parentNode === group) {
        select.value = "";
      }
    });
  }

  function follow() {
    var countyName = chosenName(county);
    keepGroups(subCounty, function (label) {
      return !countyName || label === countyName;
    });
    var subName = chosenName(subCounty);
    keepGroups(ward, function (label) {
      var parts = label.split(" / ");
      return (!countyName || parts[0] === countyName) && (!subName || parts[1] === subName);
    });
  }

  county.addEventListener("change", follow);
  subCounty.addEventListener("change", follow);
  follow();
})();
