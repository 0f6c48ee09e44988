-- Neovim (0.7 and later) as the language client of `depwindow server`: open the file named
-- by DW_FILE, attach the server DW_BIN, wait for its diagnostics and write what
-- vim.diagnostic.get() holds to DW_OUT, one line each:
-- `lnum:col-end_lnum:end_col source code severity message`.
local bin, file, out = os.getenv("DW_BIN"), os.getenv("DW_FILE"), os.getenv("DW_OUT")
vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({
  name = "depwindow",
  cmd = { bin, "server" },
  root_dir = vim.fn.fnamemodify(file, ":p:h"),
})
vim.lsp.buf_attach_client(buf, id)
-- A hang guard only: the server answers on open.
vim.wait(300000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  table.insert(lines, string.format("%d:%d-%d:%d %s %s %d %s", d.lnum, d.col, d.end_lnum,
    d.end_col, d.source or "", tostring(code), d.severity, d.message))
end
vim.fn.writefile(lines, out)
vim.lsp.stop_client(id)
vim.cmd("qa!")
