// Every figure of a chapter opens full size on a tap or click: on a phone a figure shrinks to
// the screen's width and its labels to a few pixels, so the image itself is offered.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("main img").forEach((img) => {
    if (img.closest("a")) return;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.className = "figure-full-size";
    link.title = "Open the figure full size";
    img.parentNode.insertBefore(link, img);
    link.appendChild(img);
  });
});
