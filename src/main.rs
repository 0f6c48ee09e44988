fn main() {
    println!("depwindow: under construction");
}
