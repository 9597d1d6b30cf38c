import{a as o}from"./chunk-W5KNTEOZ.js";import"./chunk-OOJM4CTU.js";var e=class extends o{decodeBlock(r){return r}};export{e as default};
